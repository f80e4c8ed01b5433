"""Errors the domain raises; ``web`` turns each into a clear 4xx.

    HearthError
    ├── InvalidInput      a field's value is wrong; ``field`` names it
    ├── NotFound          no such member, invite, ...
    ├── PermissionDenied  the actor may not do this
    ├── LoginRefused      credentials wrong, account pending or suspended
    └── RateLimited       too many attempts; ``retry_after`` seconds

``str(error)`` is the message a member may see. It never contains secrets or
private data; what is only for the log goes in the exception's cause.
"""

from __future__ import annotations


class HearthError(Exception):
    """Base of every error the domain raises on purpose."""


class InvalidInput(HearthError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class NotFound(HearthError):
    pass


class PermissionDenied(HearthError):
    pass


class LoginRefused(HearthError):
    pass


class RateLimited(HearthError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
