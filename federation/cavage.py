"""draft-cavage HTTP signatures: the `Signature` header Mastodon, GoToSocial,
Misskey and Pleroma send, written on `cryptography`.

Verification policy (DESIGN.md, "Rules that keep members safe"):

- The algorithm never comes from the request. Signatures are verified as
  RSASSA-PKCS1-v1_5 with SHA-256 against an RSA public key. `algorithm` may be
  `rsa-sha256`, `hs2019` or absent; anything else (hmac-sha256, rsa-sha512,
  ecdsa-sha256, ed25519, ...) is refused before any key is used, so an HMAC
  "signature" keyed with the public PEM can never verify.
- The signature must cover `(request-target)`, `host` and `date`, and
  `digest` on POST or whenever there is a body; a signed Digest must hold a
  SHA-256 of the body (`SHA-256=` or `sha-256=`, among other digests too).
- `date` is required with `hs2019` too, even though the draft lets `(created)`
  stand in for it: every peer we federate with signs `date`. `(created)` and
  `(expires)` are understood when listed and are checked against the clock.
- `Date` must lie within `max_skew` (an hour) of now, either way.

`verify_request` returns the keyId: the caller must check that the key belongs
to the activity's actor. `check_signature` checks the cryptography alone (for
the published vectors, which cover fewer headers than we require).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.errors import SignatureError

MAX_SKEW = timedelta(hours=1)

_MAX_HEADER_LENGTH = 8192
# Below this an RSA key is forgeable by anyone; 1024 is kept for old peers and
# for the draft's own test key.
_MIN_RSA_BITS = 1024
_ACCEPTED_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
_REQUIRED_HEADERS = ("(request-target)", "host", "date")
_POST_HEADERS = ("(request-target)", "host", "date", "digest", "content-type")
_GET_HEADERS = ("(request-target)", "host", "date", "accept")
_GENERATED_HEADERS = frozenset({"host", "date", "digest", "signature"})
_PARAM_NAMES = {
    "keyid": "keyId",
    "algorithm": "algorithm",
    "headers": "headers",
    "signature": "signature",
    "created": "created",
    "expires": "expires",
}
# name="quoted \"value\"" or name=123 (created and expires are bare integers).
# The quoted value is written "unrolled" (a run of plain characters, then any
# number of escape + run): the regex engine takes each plain run in one step
# and never has two ways to match a character, where ``(?:[^"\\]|\\.)*``
# tried an alternation per character (a fifth of a busy inbox's CPU time).
_PARAM = re.compile(
    r'[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*'
    r'(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([0-9]+))[ \t]*',
    re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def digest_header(body: bytes) -> str:
    """The `Digest` header value for `body`, as sent: `SHA-256=<base64>`."""
    return "SHA-256=" + _b64(hashlib.sha256(body).digest())


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: bytes | str,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers to send: `headers` plus Host, Date, Digest (POST or a body)
    and a Mastodon-style Signature. POST signs `(request-target) host date
    digest content-type`, GET `(request-target) host date accept`, each header
    only when present."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    out = {name: value for name, value in headers.items() if name.lower() not in _GENERATED_HEADERS}
    out["Host"] = parts.netloc.rpartition("@")[2]
    out["Date"] = format_datetime(_utc(now), usegmt=True)
    has_body = method.upper() == "POST" or bool(body)
    if has_body:
        out["Digest"] = digest_header(body or b"")
    wanted = _POST_HEADERS if has_body else _GET_HEADERS
    present = {name.lower() for name in out} | {"(request-target)"}
    names = [name for name in wanted if name in present]
    out["Signature"] = signature_header(method, target, out, names, key_id, private_key_pem)
    return out


def signature_header(
    method: str,
    path_with_query: str,
    headers: Mapping[str, str],
    names: Sequence[str] | None,
    key_id: str,
    private_key_pem: bytes | str,
    algorithm: str = "rsa-sha256",
) -> str:
    """The `Signature` header value signing `names` with RSA-SHA256. `None`
    signs the draft's default, `date` alone, and leaves `headers=` out."""
    key = _load_private_key(private_key_pem)
    signed = [name.lower() for name in names] if names is not None else ["date"]
    text = _signing_string(signed, method, path_with_query, _lower_headers(headers), {})
    signature = key.sign(_encode(text), padding.PKCS1v15(), hashes.SHA256())
    params = [f"keyId={_quote(key_id)}", f"algorithm={_quote(algorithm)}"]
    if names is not None:
        params.append(f"headers={_quote(' '.join(signed))}")
    params.append(f"signature={_quote(_b64(signature))}")
    return ",".join(params)


def parse_signature_header(value: str) -> dict[str, str]:
    """The parameters of a `Signature` header, names in their canonical case
    (`keyId`, `algorithm`, `headers`, `signature`, `created`, `expires`).
    Raises SignatureError, and nothing else, when it cannot be read or lacks
    keyId or signature."""
    if not isinstance(value, str) or len(value) > _MAX_HEADER_LENGTH:
        raise SignatureError("the Signature header is missing or too long")
    return dict(_parsed_params(value))


# An inbox reads each request's header up to three times (its keyId, then to
# verify); the last few parses are kept. Only headers that parsed are kept,
# as tuples, so no caller can change what another one gets.
@functools.lru_cache(maxsize=64)
def _parsed_params(value: str) -> tuple[tuple[str, str], ...]:
    params: dict[str, str] = {}
    pos = 0
    while pos < len(value):
        match = _PARAM.match(value, pos)
        if match is None:
            raise SignatureError('the Signature header is not a list of name="value" pairs')
        _add_param(params, match)
        pos = match.end()
        if pos < len(value) and value[pos] != ",":
            raise SignatureError("the Signature header's parameters are not separated by commas")
        pos += 1
    for required in ("keyId", "signature"):
        if not params.get(required):
            raise SignatureError(f"the Signature header has no {required}")
    return tuple(params.items())


def key_id_of(headers: Mapping[str, str]) -> str:
    """The keyId of a draft-cavage signed request, without verifying anything."""
    return parse_signature_header(_required_header(_lower_headers(headers), "signature"))["keyId"]


def check_signature(
    method: str, path_with_query: str, headers: Mapping[str, str], public_key_pem: bytes | str
) -> dict[str, str]:
    """Check only the cryptography: RSA-SHA256 over the headers the signature
    names. No coverage, clock or digest policy (`verify_request` adds those).
    Returns the signature's parameters."""
    lowered = _lower_headers(headers)
    params = parse_signature_header(_required_header(lowered, "signature"))
    names = _signed_names(params, _algorithm(params))
    _check_crypto(params, names, method, path_with_query, lowered, public_key_pem)
    return params


def verify_request(
    method: str,
    path_with_query: str,
    headers: Mapping[str, str],
    body: bytes | None,
    public_key_pem: bytes | str,
    now: datetime | None = None,
    max_skew: timedelta = MAX_SKEW,
    *,
    host: str | None = None,
) -> str:
    """Verify a draft-cavage signed request under the policy in this module's
    docstring and return its keyId. `host`, when given, is the host the request
    must have been signed for. Raises SignatureError with the reason."""
    lowered = _lower_headers(headers)
    params = parse_signature_header(_required_header(lowered, "signature"))
    names = _signed_names(params, _algorithm(params))
    _check_coverage(names, method, body)
    _check_host(lowered, host)
    _check_clock(lowered, params, _utc(now), max_skew)
    if "digest" in names:
        _check_digest(_required_header(lowered, "digest"), body or b"")
    _check_crypto(params, names, method, path_with_query, lowered, public_key_pem)
    return params["keyId"]


def _add_param(params: dict[str, str], match: re.Match[str]) -> None:
    name = _PARAM_NAMES.get(match[1].lower(), match[1].lower())
    if name in params:
        raise SignatureError(f"the Signature header repeats {name}")
    quoted = match[2]
    params[name] = _ESCAPE.sub(r"\1", quoted) if quoted is not None else match[3]


def _algorithm(params: Mapping[str, str]) -> str:
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in _ACCEPTED_ALGORITHMS:
        raise SignatureError(
            f"algorithm {algorithm[:40]!r} is refused: only rsa-sha256 and hs2019 (as RSA-SHA256)"
        )
    return algorithm


def _signed_names(params: Mapping[str, str], algorithm: str) -> list[str]:
    default = "(created)" if algorithm == "hs2019" else "date"
    names = params.get("headers", default).lower().split()
    if not names:
        raise SignatureError("the signature covers no headers")
    return names


def _check_coverage(names: Sequence[str], method: str, body: bytes | None) -> None:
    missing = [name for name in _REQUIRED_HEADERS if name not in names]
    if (method.upper() == "POST" or body) and "digest" not in names:
        missing.append("digest")
    if missing:
        raise SignatureError("the signature must cover " + ", ".join(missing))


def _check_host(lowered: Mapping[str, str], host: str | None) -> None:
    if host is not None and lowered.get("host", "").lower() != host.lower():
        raise SignatureError("the request was signed for another host")


def _check_clock(
    lowered: Mapping[str, str], params: Mapping[str, str], now: datetime, max_skew: timedelta
) -> None:
    _check_window(_parse_date(lowered.get("date")), now, max_skew, "Date")
    if "created" in params:
        _check_window(_from_timestamp(params["created"]), now, max_skew, "(created) time")
    if "expires" in params and _from_timestamp(params["expires"]) < now:
        raise SignatureError("the signature has expired")


def _check_window(when: datetime, now: datetime, max_skew: timedelta, what: str) -> None:
    if when > now + max_skew:
        raise SignatureError(f"the {what} is too far in the future")
    if when < now - max_skew:
        raise SignatureError(f"the {what} is too old")


def _parse_date(value: str | None) -> datetime:
    if value is None:
        raise SignatureError("the request has no Date header")
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise SignatureError("the Date header cannot be parsed") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _from_timestamp(value: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureError("a signature timestamp cannot be read") from None


def _check_digest(value: str, body: bytes) -> None:
    for part in value.split(","):
        name, sep, encoded = part.strip().partition("=")
        if sep and name.strip().lower() == "sha-256":
            given = _b64decode(encoded.strip(), "the Digest")
            if not hmac.compare_digest(given, hashlib.sha256(body).digest()):
                raise SignatureError("the Digest does not match the body")
            return
    raise SignatureError("the Digest header has no SHA-256 value")


def _check_crypto(
    params: Mapping[str, str],
    names: Sequence[str],
    method: str,
    target: str,
    lowered: Mapping[str, str],
    public_key_pem: bytes | str,
) -> None:
    key = _load_public_key(public_key_pem)
    text = _signing_string(names, method, target, lowered, params)
    signature = _b64decode(params["signature"], "the signature")
    try:
        key.verify(signature, _encode(text), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureError("the signature does not verify with the key") from None


def _signing_string(
    names: Sequence[str],
    method: str,
    target: str,
    lowered: Mapping[str, str],
    params: Mapping[str, str],
) -> str:
    return "\n".join(
        f"{name}: {_component(name, method, target, lowered, params)}" for name in names
    )


def _component(
    name: str, method: str, target: str, lowered: Mapping[str, str], params: Mapping[str, str]
) -> str:
    if name == "(request-target)":
        return f"{method.lower()} {target}"
    if name in ("(created)", "(expires)"):
        value = params.get(name[1:-1])
    else:
        value = lowered.get(name)
    if value is None:
        raise SignatureError(f"{name} is signed but missing from the request")
    if "\n" in value or "\r" in value:
        raise SignatureError(f"{name} holds a line break")
    return value


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names lower-cased; repeated headers joined with ", " as the draft says."""
    combined: dict[str, list[str]] = {}
    for name, value in headers.items():
        combined.setdefault(name.lower(), []).append(value.strip())
    return {name: ", ".join(values) for name, values in combined.items()}


def _required_header(lowered: Mapping[str, str], name: str) -> str:
    value = lowered.get(name)
    if value is None:
        raise SignatureError(f"the request has no {name.title()} header")
    return value


@functools.lru_cache(maxsize=1024)
def _load_public_key(pem: bytes | str) -> rsa.RSAPublicKey:
    """A verified key is loaded once per process (a busy inbox sees the same
    keys over and over); a PEM that fails to load is not remembered."""
    try:
        key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SignatureError("the public key cannot be loaded") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("draft-cavage signatures are verified with RSA keys only")
    if key.key_size < _MIN_RSA_BITS:
        raise SignatureError(f"RSA keys under {_MIN_RSA_BITS} bits are refused")
    return key


@functools.lru_cache(maxsize=256)
def _load_private_key(pem: bytes | str) -> rsa.RSAPrivateKey:
    """Loading validates the key (about 30 ms for RSA-2048, a hundred signatures'
    worth), so each member's key is loaded once per process, not per delivery."""
    key = serialization.load_pem_private_key(
        pem.encode() if isinstance(pem, str) else pem, password=None
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("draft-cavage signing needs an RSA private key")
    return key


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _encode(text: str) -> bytes:
    # Header values arrive decoded as Latin-1 (ASGI); encoding back restores
    # the bytes that were signed. Anything wider can only have been UTF-8.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{what} is not valid base64") from None


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
