"""Passwords, recovery codes and session tokens.

Passwords use argon2id (argon2-cffi's defaults, RFC 9106's second
recommendation). Recovery codes and session tokens are long random strings,
so a plain SHA-256 of them is enough to keep the table useless to a thief.
Hashing runs in a thread: it takes tens of milliseconds of CPU on purpose.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from recovery.errors import InvalidInput

PASSWORD_MIN = 10
PASSWORD_MAX = 200  # argon2 takes any length; a cap keeps a request cheap.
RECOVERY_CODE_COUNT = 10
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so a login takes as
    long whether or not the account exists. Made on first use, not at import."""
    return _hasher.hash(secrets.token_urlsafe(16))


def check_password_rules(password: str, username: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise InvalidInput("password", f"Use at least {PASSWORD_MIN} characters for your password.")
    if len(password) > PASSWORD_MAX:
        raise InvalidInput("password", f"Use at most {PASSWORD_MAX} characters for your password.")
    if password.strip().lower() == username.lower():
        raise InvalidInput("password", "Your password must not be your username.")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; with no hash, burns the same time."""
    target = password_hash or _dummy_hash()
    try:
        await asyncio.to_thread(_hasher.verify, target, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def hash_recovery_code(code: str) -> bytes:
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(b"hearth-recovery:" + normalised.encode()).digest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
