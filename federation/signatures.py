"""HTTP signatures: what the inbox, the fetcher and the delivery worker call.

    verify_any          RFC 9421 when Signature-Input is present, else draft-cavage
    key_id_of           the keyId to fetch, for either kind, verifying nothing
    sign_request        draft-cavage, Mastodon-style: what Hearth sends
    generate_rsa_keypair

The protocols live in `federation.cavage` (draft-cavage on `cryptography`)
and `federation.rfc9421` (RFC 9421 on `http-message-signatures`); their
docstrings state the verification policy. Every refusal is a SignatureError
(401) with a reason safe to show the peer. A verified signature proves only
who holds the key: the caller must check that the keyId belongs to the
activity's actor.

Typical inbox use, with an asynchronous key fetch:

    key_id = key_id_of(headers)
    pem = await fetch_public_key(key_id)
    signer = verify_any(method, own_origin + raw_path, headers, body, lambda _: pem)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from federation.cavage import (
    MAX_SKEW,
    check_signature,
    digest_header,
    parse_signature_header,
    sign_request,
    signature_header,
    verify_request,
)
from federation.cavage import key_id_of as _cavage_key_id
from federation.errors import SignatureError
from federation.keys import generate_rsa_keypair
from federation.rfc9421 import (
    KeyResolver,
    VerifiedSignature,
    check_request_rfc9421,
    check_response_rfc9421,
    key_id_of_rfc9421,
    sign_request_rfc9421,
    verify_request_rfc9421,
)

__all__ = [
    "MAX_SKEW",
    "KeyResolver",
    "SignatureError",
    "VerifiedSignature",
    "check_request_rfc9421",
    "check_response_rfc9421",
    "check_signature",
    "digest_header",
    "generate_rsa_keypair",
    "key_id_of",
    "key_id_of_rfc9421",
    "parse_signature_header",
    "sign_request",
    "sign_request_rfc9421",
    "signature_header",
    "verify_any",
    "verify_request",
    "verify_request_rfc9421",
]


def key_id_of(headers: Mapping[str, str]) -> str:
    """The keyId a signed request names (RFC 9421 or draft-cavage), unverified."""
    if _has_header(headers, "signature-input"):
        return key_id_of_rfc9421(headers)
    return _cavage_key_id(headers)


def verify_any(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    resolve_key: KeyResolver,
    *,
    now: datetime | None = None,
    max_skew: timedelta = MAX_SKEW,
) -> str:
    """Verify an RFC 9421 or a draft-cavage signed request and return its keyId.

    `url` is the absolute URL the request was sent to, built from our own
    origin; with draft-cavage the signed Host must match its host.
    `resolve_key(key_id)` gives the signer's public key PEM; its errors (a
    FetchError, say) propagate unchanged."""
    if _has_header(headers, "signature-input"):
        return verify_request_rfc9421(
            method, url, headers, body, resolve_key, now=now, max_skew=max_skew
        )
    if not _has_header(headers, "signature"):
        raise SignatureError("the request is not signed")
    host, target = _host_and_target(url)
    public_key_pem = resolve_key(_cavage_key_id(headers))
    return verify_request(method, target, headers, body, public_key_pem, now, max_skew, host=host)


def _has_header(headers: Mapping[str, str], name: str) -> bool:
    return any(key.lower() == name for key in headers)


def _host_and_target(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        raise SignatureError("the request URL cannot be parsed") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.netloc.rpartition("@")[2], target
