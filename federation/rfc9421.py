"""RFC 9421 HTTP message signatures (`Signature-Input` + `Signature`), on the
`http-message-signatures` library.

Verification policy:

- The algorithm comes from the key we resolved, never from the request alone:
  an RSA key verifies as rsa-v1_5-sha256 or rsa-pss-sha512, an EC P-256 key
  as ecdsa-p256-sha256, an Ed25519 key as ed25519; any other key (and so any
  HMAC secret) is refused. An `alg` parameter that names another family than
  the key's is refused. With an RSA key and no `alg` both RSA schemes are
  tried, as TLS does with one RSA key (the RFC's own RSA-PSS examples carry
  no `alg` and an rsaEncryption public key).
- `created` is required and must lie within `max_skew` of now either way;
  an `expires` in the past is refused. The clock is ours (`now`), not the
  library's, so tests can replay the RFC's examples.
- A covered Content-Digest (sha-256 or sha-512, RFC 9530) must match the body.
- `verify_request_rfc9421` also requires the signature to cover `@method`,
  the target (`@target-uri`, or `@authority` with `@request-target` or with
  `@path` and `@query`) and, on POST or with a body, `content-digest`.
- One signature per message: several labels are refused.

The key is resolved before the library runs, so a key fetch that fails
(FetchError and its subclasses) reaches the caller unchanged instead of being
wrapped into an invalid signature by the library.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import http_sf
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureAlgorithm,
    MappingKeyResolver,
)
from http_message_signatures.algorithms import (
    ECDSA_P256_SHA256,
    ED25519,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
)

from federation.errors import SignatureError

MAX_SKEW = timedelta(hours=1)
KeyResolver = Callable[[str], str | bytes]

_MIN_RSA_BITS = 1024
_LABEL = "sig1"
_SIGNED_COMPONENTS = ("@method", "@target-uri")
_RSA = {"rsa-v1_5-sha256": RSA_V1_5_SHA256, "rsa-pss-sha512": RSA_PSS_SHA512}
_P256 = {"ecdsa-p256-sha256": ECDSA_P256_SHA256}
_ED25519 = {"ed25519": ED25519}
_OWN_HEADERS = frozenset({"signature", "signature-input", "content-digest"})
_TARGET_DESCRIPTION = "@target-uri (or @authority with @request-target or with @path and @query)"


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that verified: who signed, how, and what it covers."""

    key_id: str
    algorithm: str
    covered: tuple[str, ...]  # serialized component ids, e.g. '"@method"'
    digest_verified: bool  # a covered Content-Digest matched the body


@dataclass
class _Request:
    """The request shape the library reads: method, absolute URL, headers."""

    method: str
    url: str
    headers: dict[str, str]


@dataclass
class _Response:
    status_code: int
    headers: dict[str, str]
    request: _Request | None = None


class _Verifier(HTTPMessageVerifier):
    """The library's verifier on our clock and our time window."""

    def __init__(
        self,
        algorithm: type[HTTPSignatureAlgorithm],
        key_id: str,
        key: Any,
        now: datetime,
        max_skew: timedelta,
    ) -> None:
        resolver = MappingKeyResolver(public_keys={key_id: key}, private_keys={})
        super().__init__(signature_algorithm=algorithm, key_resolver=resolver)
        self._now = now
        self._max_skew = max_skew

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        _check_times(sig_input.params, self._now, self._max_skew)


def sign_request_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: bytes | str,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers to send: `headers` plus Content-Digest (POST or a body),
    Signature-Input and Signature covering `@method`, `@target-uri` and the
    digest. The algorithm follows the key: RSA (v1.5 SHA-256), P-256, Ed25519."""
    key = _load_private_key(private_key_pem)
    kept = {name: value for name, value in headers.items() if name.lower() not in _OWN_HEADERS}
    message = _Request(method.upper(), url, kept)
    signed_body = body if body is not None or method.upper() != "POST" else b""
    signer = HTTPMessageSigner(
        signature_algorithm=_signing_algorithm(key),
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: key}),
    )
    signer.sign(
        message,
        key_id=key_id,
        created=_utc(now),
        label=_LABEL,
        covered_component_ids=_SIGNED_COMPONENTS,
        body=signed_body,
    )
    return message.headers


def key_id_of_rfc9421(headers: Mapping[str, str]) -> str:
    """The keyid of an RFC 9421 signed message, without verifying anything."""
    return _signature_params(_lower_headers(headers))[0]


def verify_request_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    resolve_key: KeyResolver,
    *,
    now: datetime | None = None,
    max_skew: timedelta = MAX_SKEW,
) -> str:
    """Verify an RFC 9421 signed request under the policy in this module's
    docstring and return its keyid. `url` is the absolute URL as the signer
    addressed it: build it from our own origin, not from the Host header."""
    verified = check_request_rfc9421(
        method, url, headers, body, resolve_key, now=now, max_skew=max_skew
    )
    _check_request_coverage(verified, method, body)
    return verified.key_id


def check_request_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    resolve_key: KeyResolver,
    *,
    now: datetime | None = None,
    max_skew: timedelta = MAX_SKEW,
) -> VerifiedSignature:
    """Verify the signature, the algorithm, the clock and any covered digest,
    without the coverage policy of `verify_request_rfc9421`."""
    message = _Request(method.upper(), url, _lower_headers(headers))
    return _check(message, body, resolve_key, _utc(now), max_skew)


def check_response_rfc9421(
    status: int,
    headers: Mapping[str, str],
    body: bytes | None,
    resolve_key: KeyResolver,
    *,
    now: datetime | None = None,
    max_skew: timedelta = MAX_SKEW,
) -> VerifiedSignature:
    """As `check_request_rfc9421`, for a signed response."""
    message = _Response(status, _lower_headers(headers))
    return _check(message, body, resolve_key, _utc(now), max_skew)


def _check(
    message: _Request | _Response,
    body: bytes | None,
    resolve_key: KeyResolver,
    now: datetime,
    max_skew: timedelta,
) -> VerifiedSignature:
    key_id, alg = _signature_params(message.headers)
    key = _load_public_key(resolve_key(key_id))
    refusal = SignatureError("no algorithm fits the key")
    for algorithm in _algorithms_for(key, alg):
        try:
            return _verify_with(algorithm, message, body, key_id, key, now, max_skew)
        except SignatureError as exc:
            refusal = exc
    raise refusal


def _verify_with(
    algorithm: type[HTTPSignatureAlgorithm],
    message: _Request | _Response,
    body: bytes | None,
    key_id: str,
    key: Any,
    now: datetime,
    max_skew: timedelta,
) -> VerifiedSignature:
    verifier = _Verifier(algorithm, key_id, key, now, max_skew)
    try:
        result = verifier.verify(message, max_age=None)[0]
        digest_ok = ContentDigest.verify_components(result.covered_components, body or b"")
    except HTTPMessageSignaturesException as exc:
        reason = str(exc) or "it does not verify with the key"
        raise SignatureError(f"RFC 9421 signature refused: {reason}") from exc
    covered = tuple(c for c in result.covered_components if c != '"@signature-params"')
    return VerifiedSignature(key_id, algorithm.algorithm_id, covered, digest_ok)


def _signature_params(lowered: Mapping[str, str]) -> tuple[str, str | None]:
    """keyid and alg of the one signature in Signature-Input."""
    value = lowered.get("signature-input")
    if value is None:
        raise SignatureError("the request has no Signature-Input header")
    try:
        parsed: Any = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    except (ValueError, TypeError):
        raise SignatureError("Signature-Input is not a structured dictionary") from None
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise SignatureError("Signature-Input must hold exactly one signature")
    members, params = next(iter(parsed.values()))
    keyid, alg = params.get("keyid"), params.get("alg")
    if not isinstance(members, list) or not isinstance(keyid, str) or not keyid:
        raise SignatureError("Signature-Input has no component list or no keyid")
    if alg is not None and not isinstance(alg, str):
        raise SignatureError("Signature-Input's alg is not a string")
    return keyid, alg


def _algorithms_for(key: Any, alg: str | None) -> tuple[type[HTTPSignatureAlgorithm], ...]:
    family = _family(key)
    if alg is None:
        return tuple(family.values())
    if alg not in family:
        raise SignatureError(f"alg {alg[:40]!r} does not match the signer's key type")
    return (family[alg],)


def _family(key: Any) -> Mapping[str, type[HTTPSignatureAlgorithm]]:
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < _MIN_RSA_BITS:
            raise SignatureError(f"RSA keys under {_MIN_RSA_BITS} bits are refused")
        return _RSA
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return _P256
    if isinstance(key, ed25519.Ed25519PublicKey):
        return _ED25519
    raise SignatureError("only RSA, ECDSA P-256 and Ed25519 keys are accepted")


def _check_times(params: Mapping[str, Any], now: datetime, max_skew: timedelta) -> None:
    created = _timestamp(params.get("created"), "created")
    if created is None:
        raise SignatureError('the signature has no "created" time')
    if created > now + max_skew:
        raise SignatureError('the signature\'s "created" time is too far in the future')
    if created < now - max_skew:
        raise SignatureError("the signature is too old")
    expires = _timestamp(params.get("expires"), "expires")
    if expires is not None and expires < now:
        raise SignatureError("the signature has expired")


def _timestamp(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if type(value) is not int:
        raise SignatureError(f'"{name}" is not an integer')
    try:
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureError(f'"{name}" is out of range') from None


def _check_request_coverage(verified: VerifiedSignature, method: str, body: bytes | None) -> None:
    names = {c[1:-1] for c in verified.covered if c.startswith('"') and c.endswith('"')}
    missing = [] if "@method" in names else ["@method"]
    if not _covers_target(names):
        missing.append(_TARGET_DESCRIPTION)
    if (method.upper() == "POST" or body) and not verified.digest_verified:
        missing.append("content-digest")
    if missing:
        raise SignatureError("the signature must cover " + ", ".join(missing))


def _covers_target(names: set[str]) -> bool:
    if "@target-uri" in names:
        return True
    return "@authority" in names and ("@request-target" in names or {"@path", "@query"} <= names)


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    combined: dict[str, list[str]] = {}
    for name, value in headers.items():
        combined.setdefault(name.lower(), []).append(value)
    return {name: ", ".join(values) for name, values in combined.items()}


def _load_public_key(pem: str | bytes) -> Any:
    try:
        return serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SignatureError("the public key cannot be loaded as a PEM public key") from None


@functools.lru_cache(maxsize=256)
def _load_private_key(pem: str | bytes) -> Any:
    """Cached: loading validates an RSA key, which costs far more than signing."""
    return serialization.load_pem_private_key(
        pem.encode() if isinstance(pem, str) else pem, password=None
    )


def _signing_algorithm(key: Any) -> type[HTTPSignatureAlgorithm]:
    if isinstance(key, rsa.RSAPrivateKey):
        return RSA_V1_5_SHA256
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return ECDSA_P256_SHA256
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return ED25519
    raise ValueError("RFC 9421 signing needs an RSA, EC P-256 or Ed25519 private key")


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)
