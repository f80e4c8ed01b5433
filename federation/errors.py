"""Errors of the ActivityPub layer. Each carries the HTTP status an inbox or
endpoint answers with and a reason safe to show the peer; what is only for
the log goes in the exception's cause.

    FederationError            status 400
    ├── SignatureError         401: missing, malformed, wrong or stale signature
    ├── InvalidDocument        400: not JSON, too deep, missing id/type/actor, ...
    │   ├── PayloadTooLarge    413
    │   └── UnsupportedMediaType 415: not an ActivityStreams content type
    └── FetchError             a remote GET did not give a usable document
        ├── FetchRefused       403: blocked before connecting (private address,
        │                           blocked domain, bad scheme, too many redirects)
        ├── FetchFailed        503: network error, timeout, DNS, TLS, 5xx
        ├── FetchGone          410: the remote answered 404 or 410
        └── BadRemoteDocument  502: wrong content type, id differs from the URL,
                                    too large, not JSON
"""

from __future__ import annotations


class FederationError(Exception):
    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureError(FederationError):
    status = 401


class InvalidDocument(FederationError):
    status = 400


class PayloadTooLarge(InvalidDocument):
    status = 413


class UnsupportedMediaType(InvalidDocument):
    status = 415


class FetchError(FederationError):
    status = 502


class FetchRefused(FetchError):
    status = 403


class FetchFailed(FetchError):
    status = 503


class FetchGone(FetchError):
    status = 410


class BadRemoteDocument(FetchError):
    status = 502
