"""HTTP signatures: the published vectors, round trips, and the RELIABILITY.md
lines 1-7, 10 and 24 they guard. Pure functions: no network, no database.

Vectors are copies of /work/shared/vectors (draft-cavage-12 appendix C,
RFC 9421 appendix B) under tests/data/vectors. Their dates are years old, so
those tests pass the vectors' own time as `now`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver
from http_message_signatures.algorithms import HMAC_SHA256, RSA_V1_5_SHA256

from federation.errors import SignatureError
from federation.signatures import (
    check_request_rfc9421,
    check_response_rfc9421,
    check_signature,
    digest_header,
    generate_rsa_keypair,
    key_id_of,
    parse_signature_header,
    sign_request,
    sign_request_rfc9421,
    signature_header,
    verify_any,
    verify_request,
    verify_request_rfc9421,
)

VECTORS = Path(__file__).parent / "data" / "vectors"
CAVAGE = json.loads((VECTORS / "cavage-12" / "vectors.json").read_text())
RFC9421 = json.loads((VECTORS / "rfc9421" / "vectors.json").read_text())
CAVAGE_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)
RFC9421_NOW = datetime.fromtimestamp(1618884473, UTC)

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
INBOX = "https://hearth.example/inbox"
KEY_ID = "https://peer.example/users/alice#main-key"
ACTIVITY = {
    "@context": "https://www.w3.org/ns/activitystreams",
    "id": "https://peer.example/activities/1",
    "type": "Create",
    "actor": "https://peer.example/users/alice",
    "object": {"type": "Note", "content": "One day at a time."},
}
BODY = json.dumps(ACTIVITY).encode()
AS_JSON = {"Content-Type": "application/activity+json"}


@pytest.fixture(scope="module")
def member() -> tuple[str, str]:
    return generate_rsa_keypair()


@pytest.fixture(scope="module")
def stranger() -> tuple[str, str]:
    return generate_rsa_keypair()


def _signed_post(
    member: tuple[str, str], body: bytes = BODY, now: datetime = NOW
) -> dict[str, str]:
    return sign_request("POST", INBOX, AS_JSON, body, KEY_ID, member[0], now=now)


def _verify_post(headers: dict[str, str], public: str, body: bytes = BODY, **kwargs: Any) -> str:
    return verify_request("POST", "/inbox", headers, body, public, now=NOW, **kwargs)


def _with_signature(headers: dict[str, str], value: str) -> dict[str, str]:
    return {**headers, "Signature": value}


def _signing_string(method: str, target: str, headers: dict[str, str], names: list[str]) -> str:
    """The draft's signing string, written out again so forgeries do not lean on our code."""
    lowered = {name.lower(): value for name, value in headers.items()}
    lines = [
        f"{name}: {method.lower()} {target}"
        if name == "(request-target)"
        else f"{name}: {lowered[name]}"
        for name in names
    ]
    return "\n".join(lines)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- draft-cavage appendix C ------------------------------------------------


def _cavage_headers(signature: str | None = None) -> dict[str, str]:
    headers = dict(CAVAGE["request"]["headers"])
    return headers if signature is None else _with_signature(headers, signature)


def _cavage_key(kind: str) -> str:
    return (VECTORS / "cavage-12" / CAVAGE[f"{kind}_key_file"]).read_text()


@pytest.mark.parametrize("case", CAVAGE["cases"], ids=lambda case: case["name"][:3])
def test_cavage_vector_signature_is_reproduced_byte_for_byte(case: dict[str, Any]) -> None:
    names = case["headers_param"].split() if case["headers_param"] else None
    header = signature_header(
        "POST",
        CAVAGE["request"]["target"],
        _cavage_headers(),
        names,
        "Test",
        _cavage_key("private"),
    )
    assert header == case["signature_header"]


@pytest.mark.parametrize("case", CAVAGE["cases"], ids=lambda case: case["name"][:3])
def test_cavage_vector_signature_verifies_with_the_published_key(case: dict[str, Any]) -> None:
    headers = _cavage_headers(case["signature_header"])
    params = check_signature("POST", CAVAGE["request"]["target"], headers, _cavage_key("public"))
    assert params["keyId"] == "Test"
    assert params["signature"] == case["signature"]


def test_cavage_c3_vector_passes_the_full_policy_on_a_test_clock_line_6() -> None:
    case = CAVAGE["cases"][2]
    key_id = verify_request(
        "POST",
        CAVAGE["request"]["target"],
        _cavage_headers(case["signature_header"]),
        CAVAGE["request"]["body"].encode(),
        _cavage_key("public"),
        now=CAVAGE_NOW,
    )
    assert key_id == "Test"


def test_cavage_c3_vector_is_refused_on_todays_clock_as_stale_line_6() -> None:
    case = CAVAGE["cases"][2]
    with pytest.raises(SignatureError, match="Date is too old"):
        verify_request(
            "POST",
            CAVAGE["request"]["target"],
            _cavage_headers(case["signature_header"]),
            CAVAGE["request"]["body"].encode(),
            _cavage_key("public"),
        )


@pytest.mark.parametrize(
    ("index", "reason"),
    [(0, r"must cover \(request-target\), host, digest"), (1, "must cover digest")],
    ids=["C.1-line-7", "C.2-line-5"],
)
def test_cavage_c1_and_c2_vectors_cover_too_little_for_an_inbox_lines_5_7(
    index: int, reason: str
) -> None:
    headers = _cavage_headers(CAVAGE["cases"][index]["signature_header"])
    with pytest.raises(SignatureError, match=reason):
        verify_request(
            "POST",
            CAVAGE["request"]["target"],
            headers,
            CAVAGE["request"]["body"].encode(),
            _cavage_key("public"),
            now=CAVAGE_NOW,
        )


def test_cavage_vector_digest_is_the_published_one() -> None:
    assert (
        digest_header(CAVAGE["request"]["body"].encode())
        == dict(CAVAGE["request"]["headers"])["Digest"]
    )


# --- draft-cavage round trips -----------------------------------------------


def test_signed_post_verifies_and_returns_the_key_id_for_the_actor_check_line_10(
    member: tuple[str, str],
) -> None:
    assert _verify_post(_signed_post(member), member[1]) == KEY_ID


def test_signed_get_verifies_and_returns_the_key_id_line_10(member: tuple[str, str]) -> None:
    headers = sign_request(
        "GET",
        "https://hearth.example/users/bob?page=1",
        {"Accept": "application/activity+json"},
        None,
        KEY_ID,
        member[0],
        now=NOW,
    )
    assert verify_request("GET", "/users/bob?page=1", headers, None, member[1], now=NOW) == KEY_ID


def test_sign_request_signs_like_mastodon_and_sends_upper_case_sha256_line_5(
    member: tuple[str, str],
) -> None:
    post = _signed_post(member)
    get = sign_request(
        "GET", INBOX, {"Accept": "application/activity+json"}, None, KEY_ID, member[0], now=NOW
    )
    assert post["Host"] == "hearth.example"
    assert post["Date"] == "Thu, 01 Jan 2026 12:00:00 GMT"
    assert post["Digest"] == "SHA-256=" + _b64(hashlib.sha256(BODY).digest())
    assert 'algorithm="rsa-sha256"' in post["Signature"]
    assert 'headers="(request-target) host date digest content-type"' in post["Signature"]
    assert 'headers="(request-target) host date accept"' in get["Signature"]
    assert "Digest" not in get


def test_header_names_are_case_insensitive(member: tuple[str, str]) -> None:
    headers = _signed_post(member)
    for changed in (
        {k.upper(): v for k, v in headers.items()},
        {k.lower(): v for k, v in headers.items()},
    ):
        assert _verify_post(changed, member[1]) == KEY_ID


def test_verify_any_routes_a_draft_cavage_request_and_checks_the_host_line_7(
    member: tuple[str, str],
) -> None:
    headers = _signed_post(member)
    assert verify_any("POST", INBOX, headers, BODY, lambda _: member[1], now=NOW) == KEY_ID
    with pytest.raises(SignatureError, match="another host"):
        verify_any(
            "POST", "https://other.example/inbox", headers, BODY, lambda _: member[1], now=NOW
        )


def test_unsigned_request_is_refused_line_1(member: tuple[str, str]) -> None:
    with pytest.raises(SignatureError, match="not signed"):
        verify_any(
            "POST", INBOX, {"Content-Type": "application/activity+json"}, BODY, lambda _: member[1]
        )


def test_key_id_of_only_parses_both_kinds(member: tuple[str, str]) -> None:
    assert key_id_of(_signed_post(member)) == KEY_ID
    rfc = sign_request_rfc9421("POST", INBOX, AS_JSON, BODY, KEY_ID, member[0], now=NOW)
    assert key_id_of(rfc) == KEY_ID


def test_generated_keypair_is_rsa_2048_pkcs8_and_spki() -> None:
    private, public = generate_rsa_keypair()
    assert private.startswith("-----BEGIN PRIVATE KEY-----")
    assert public.startswith("-----BEGIN PUBLIC KEY-----")
    key = serialization.load_pem_private_key(private.encode(), password=None)
    assert key.public_key().key_size == 2048  # type: ignore[union-attr]


# --- line 2: unparsable headers ---------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        'keyId="https://peer.example/key"',
        'signature="c2ln"',
        'keyId="",signature="c2ln"',
        'keyId=unquoted,signature="c2ln"',
        'keyId="a",keyId="b",signature="c2ln"',
        'keyId="a" signature="c2ln"',
        'keyId="a,signature="c2ln"',
        "x" * 9000,
    ],
)
def test_unparsable_or_incomplete_signature_header_is_refused_line_2(
    value: str, member: tuple[str, str]
) -> None:
    with pytest.raises(SignatureError):
        parse_signature_header(value)
    with pytest.raises(SignatureError):
        _verify_post(_with_signature(_signed_post(member), value), member[1])


def test_parse_signature_header_reads_spacing_escapes_and_integers() -> None:
    params = parse_signature_header(
        ' keyId = "a\\"b" , Algorithm="hs2019",created=1402170695, signature="c2ln",'
    )
    assert params == {
        "keyId": 'a"b',
        "algorithm": "hs2019",
        "created": "1402170695",
        "signature": "c2ln",
    }


def _garbage(rng: random.Random, seed_text: str) -> str:
    pieces = [
        *string.printable,
        "keyId=",
        "signature=",
        "headers=",
        '"',
        "\\",
        ",",
        "=",
        "é",
        "\u2028",
        "\x00",
    ]
    if rng.random() < 0.5:
        return "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 120)))
    text = list(seed_text)
    for _ in range(rng.randrange(1, 6)):
        text.insert(rng.randrange(0, len(text) + 1), rng.choice(pieces))
        del text[rng.randrange(0, len(text))]
    return "".join(text)


def test_parse_signature_header_raises_only_signature_error_on_garbage_line_2(
    member: tuple[str, str],
) -> None:
    rng = random.Random(2)  # noqa: S311 - reproducible fuzzing, not cryptography
    valid = _signed_post(member)["Signature"]
    for _ in range(600):
        try:
            params = parse_signature_header(_garbage(rng, valid))
        except SignatureError:
            continue
        assert params["keyId"] and params["signature"]


def test_verify_any_raises_only_signature_error_on_garbage_headers_line_2(
    member: tuple[str, str],
) -> None:
    rng = random.Random(9421)  # noqa: S311 - reproducible fuzzing, not cryptography
    good = sign_request_rfc9421("POST", INBOX, AS_JSON, BODY, KEY_ID, member[0], now=NOW)
    cavage = _signed_post(member)
    uncovered = {id(good): {"Date", "Digest", "Host"}, id(cavage): {"Content-Digest"}}
    for _ in range(300):
        original = rng.choice([good, cavage])
        name = rng.choice(
            ["Signature", "Signature-Input", "Date", "Digest", "Content-Digest", "Host"]
        )
        headers = {**original, name: _garbage(rng, original.get(name, ""))}
        try:
            verify_any("POST", INBOX, headers, BODY, lambda _: member[1], now=NOW)
        except SignatureError:
            continue
        assert name in uncovered[id(original)] or headers == original


# --- line 3: the algorithm never comes from the request -----------------------


@pytest.mark.parametrize(
    "algorithm",
    ["hmac-sha256", "rsa-sha512", "rsa-sha1", "ecdsa-sha256", "ed25519", "HMAC-SHA256", ""],
)
def test_hmac_and_other_algorithms_are_refused_line_3(
    algorithm: str, member: tuple[str, str]
) -> None:
    headers = _signed_post(member)
    headers["Signature"] = headers["Signature"].replace(
        'algorithm="rsa-sha256"', f'algorithm="{algorithm}"'
    )
    with pytest.raises(SignatureError, match="algorithm"):
        _verify_post(headers, member[1])


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "hs2019"])
def test_hmac_forgery_keyed_with_the_public_pem_never_verifies_line_3(
    algorithm: str, member: tuple[str, str]
) -> None:
    headers = {**AS_JSON, "Host": "hearth.example", "Date": "Thu, 01 Jan 2026 12:00:00 GMT"}
    headers["Digest"] = digest_header(BODY)
    names = ["(request-target)", "host", "date", "digest"]
    text = _signing_string("POST", "/inbox", headers, names)
    forged = hmac.new(member[1].encode(), text.encode(), hashlib.sha256).digest()
    headers["Signature"] = (
        f'keyId="{KEY_ID}",algorithm="{algorithm}",'
        f'headers="{" ".join(names)}",signature="{_b64(forged)}"'
    )
    with pytest.raises(SignatureError):
        _verify_post(headers, member[1])
    with pytest.raises(SignatureError):
        verify_any("POST", INBOX, headers, BODY, lambda _: member[1], now=NOW)


def test_non_rsa_key_is_refused_for_draft_cavage_line_3(member: tuple[str, str]) -> None:
    ed_public = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(SignatureError, match="RSA keys only"):
        _verify_post(_signed_post(member), ed_public.decode())


def test_key_from_another_member_does_not_verify_line_3(
    member: tuple[str, str], stranger: tuple[str, str]
) -> None:
    with pytest.raises(SignatureError, match="does not verify"):
        _verify_post(_signed_post(member), stranger[1])


def test_hs2019_with_an_rsa_key_verifies_as_rsa_sha256(member: tuple[str, str]) -> None:
    headers = _signed_post(member)
    names = ["(request-target)", "host", "date", "digest", "content-type"]
    headers["Signature"] = signature_header(
        "POST", "/inbox", headers, names, KEY_ID, member[0], algorithm="hs2019"
    )
    assert _verify_post(headers, member[1]) == KEY_ID


def test_absent_algorithm_verifies_as_rsa_sha256(member: tuple[str, str]) -> None:
    headers = _signed_post(member)
    headers["Signature"] = headers["Signature"].replace('algorithm="rsa-sha256",', "")
    assert _verify_post(headers, member[1]) == KEY_ID


def test_hs2019_created_does_not_stand_in_for_a_signed_date(member: tuple[str, str]) -> None:
    headers = {**AS_JSON, "Host": "hearth.example", "Digest": digest_header(BODY)}
    created = int(NOW.timestamp())
    names = ["(request-target)", "host", "(created)", "digest"]
    text = _signing_string("POST", "/inbox", headers, names[:2]) + f"\n(created): {created}\n"
    text += f"digest: {headers['Digest']}"
    private = serialization.load_pem_private_key(member[0].encode(), password=None)
    signature = private.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    headers["Signature"] = (
        f'keyId="{KEY_ID}",algorithm="hs2019",created={created},'
        f'headers="{" ".join(names)}",signature="{_b64(signature)}"'
    )
    assert check_signature("POST", "/inbox", headers, member[1])["created"] == str(created)
    with pytest.raises(SignatureError, match="must cover date"):
        _verify_post(headers, member[1])


# --- lines 4 and 5: body and digest -------------------------------------------


def test_body_changed_after_signing_is_refused_line_4(member: tuple[str, str]) -> None:
    headers = _signed_post(member)
    changed = BODY.replace(b"One day", b"Two days")
    with pytest.raises(SignatureError, match="Digest does not match"):
        _verify_post(headers, member[1], body=changed)
    headers["Digest"] = digest_header(changed)
    with pytest.raises(SignatureError, match="does not verify"):
        _verify_post(headers, member[1], body=changed)


def test_post_without_a_signed_digest_is_refused_line_5(member: tuple[str, str]) -> None:
    headers = _signed_post(member)
    headers["Signature"] = signature_header(
        "POST", "/inbox", headers, ["(request-target)", "host", "date"], KEY_ID, member[0]
    )
    with pytest.raises(SignatureError, match="must cover digest"):
        _verify_post(headers, member[1])


@pytest.mark.parametrize(
    ("digest", "reason"),
    [
        ("SHA-256=" + _b64(hashlib.sha256(b"another body").digest()), "does not match"),
        ("SHA-512=" + _b64(hashlib.sha512(BODY).digest()), "no SHA-256"),
        ("SHA-256=not*base64", "not valid base64"),
        ("MD5=" + _b64(hashlib.md5(BODY).digest()), "no SHA-256"),  # noqa: S324 - a refused digest
    ],
    ids=["other-body", "sha-512-only", "bad-base64", "md5"],
)
def test_digest_that_is_not_a_sha256_of_the_body_is_refused_line_5(
    digest: str, reason: str, member: tuple[str, str]
) -> None:
    headers = _signed_post(member)
    headers["Digest"] = digest
    headers["Signature"] = signature_header(
        "POST", "/inbox", headers, ["(request-target)", "host", "date", "digest"], KEY_ID, member[0]
    )
    with pytest.raises(SignatureError, match=reason):
        _verify_post(headers, member[1])


@pytest.mark.parametrize(
    "digest",
    [
        "sha-256=" + _b64(hashlib.sha256(BODY).digest()),
        "SHA-512="
        + _b64(hashlib.sha512(BODY).digest())
        + ", SHA-256="
        + _b64(hashlib.sha256(BODY).digest()),
    ],
    ids=["lower-case", "several-digests"],
)
def test_lower_case_and_multiple_digests_are_accepted_line_5(
    digest: str, member: tuple[str, str]
) -> None:
    headers = _signed_post(member)
    headers["Digest"] = digest
    headers["Signature"] = signature_header(
        "POST", "/inbox", headers, ["(request-target)", "host", "date", "digest"], KEY_ID, member[0]
    )
    assert _verify_post(headers, member[1]) == KEY_ID


# --- line 6: the clock --------------------------------------------------------


@pytest.mark.parametrize(
    ("signed_at", "reason"),
    [(NOW + timedelta(hours=2), "too far in the future"), (NOW - timedelta(hours=2), "too old")],
    ids=["2h-ahead", "2h-old"],
)
def test_date_outside_the_hour_is_refused_line_6(
    signed_at: datetime, reason: str, member: tuple[str, str]
) -> None:
    with pytest.raises(SignatureError, match=reason):
        _verify_post(_signed_post(member, now=signed_at), member[1])


def test_date_within_the_hour_is_accepted_line_6(member: tuple[str, str]) -> None:
    assert _verify_post(_signed_post(member, now=NOW - timedelta(minutes=50)), member[1]) == KEY_ID


@pytest.mark.parametrize("date", ["yesterday", "Thu, 32 Jan 2026 12:00:00 GMT", ""])
def test_unparsable_date_is_refused_line_6(date: str, member: tuple[str, str]) -> None:
    headers = _signed_post(member)
    headers["Date"] = date
    headers["Signature"] = signature_header(
        "POST", "/inbox", headers, ["(request-target)", "host", "date", "digest"], KEY_ID, member[0]
    )
    with pytest.raises(SignatureError, match="Date header cannot be parsed"):
        _verify_post(headers, member[1])


# --- line 7: what the signature is bound to -----------------------------------


def test_get_without_a_signed_host_is_refused_line_7(member: tuple[str, str]) -> None:
    headers = sign_request(
        "GET", "https://hearth.example/users/bob", {}, None, KEY_ID, member[0], now=NOW
    )
    headers["Signature"] = signature_header(
        "GET", "/users/bob", headers, ["(request-target)", "date"], KEY_ID, member[0]
    )
    with pytest.raises(SignatureError, match="must cover host"):
        verify_request("GET", "/users/bob", headers, None, member[1], now=NOW)


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", "/users/carol"),
        ("HEAD", "/users/bob?page=2"),
        ("GET", "/users/bob?page=3"),
        ("GET", "/users/bob"),
    ],
    ids=["other-path", "other-method", "other-query", "query-dropped"],
)
def test_get_signed_for_another_path_method_or_query_is_refused_line_7(
    method: str, target: str, member: tuple[str, str]
) -> None:
    headers = sign_request(
        "GET", "https://hearth.example/users/bob?page=2", {}, None, KEY_ID, member[0], now=NOW
    )
    with pytest.raises(SignatureError, match="does not verify"):
        verify_request(method, target, headers, None, member[1], now=NOW)


def test_get_replayed_as_post_is_refused_line_7(member: tuple[str, str]) -> None:
    headers = sign_request("GET", INBOX, {}, None, KEY_ID, member[0], now=NOW)
    with pytest.raises(SignatureError):
        verify_request("POST", "/inbox", headers, b"", member[1], now=NOW)


# --- line 24: an embedded LD signature does not count -------------------------


def test_embedded_ld_signature_is_irrelevant_line_24(
    member: tuple[str, str], stranger: tuple[str, str]
) -> None:
    ld_signed = {
        **ACTIVITY,
        "signature": {
            "type": "RsaSignature2017",
            "creator": KEY_ID,
            "created": "2026-01-01T12:00:00Z",
            "signatureValue": _b64(b"\x00" * 256),
        },
    }
    body = json.dumps(ld_signed).encode()
    assert _verify_post(_signed_post(member, body=body), member[1], body=body) == KEY_ID
    with pytest.raises(SignatureError, match="does not verify"):
        _verify_post(_signed_post(stranger, body=body), member[1], body=body)


# --- RFC 9421 appendix B ------------------------------------------------------

RFC_KEYS = {
    "test-key-rsa-pss": "test-key-rsa-pss.pub.pem",
    "test-key-ecc-p256": "test-key-ecc-p256.pub.pem",
    "test-key-ed25519": "test-key-ed25519.pub.pem",
    "test-key-rsa": "test-key-rsa.pub.pem",
}
ASYMMETRIC = [case for case in RFC9421["cases"] if case["alg"] != "hmac-sha256"]


def _published_key(key_id: str) -> str:
    return (VECTORS / "rfc9421" / RFC_KEYS[key_id]).read_text()


def _rfc_headers(message: str, case: dict[str, Any]) -> dict[str, str]:
    head = RFC9421[f"test_{message}"]["raw"].split("\r\n\r\n")[0].split("\r\n")[1:]
    headers = dict(line.split(": ", 1) for line in head)
    return {**headers, "Signature-Input": case["signature_input"], "Signature": case["signature"]}


def _check_vector(case: dict[str, Any], now: datetime | None = RFC9421_NOW) -> Any:
    if case["message"] == "response":
        body = RFC9421["test_response"]["body"].encode()
        return check_response_rfc9421(
            200, _rfc_headers("response", case), body, _published_key, now=now
        )
    request = RFC9421["test_request"]
    return check_request_rfc9421(
        "POST",
        request["target_uri"],
        _rfc_headers("request", case),
        request["body"].encode(),
        _published_key,
        now=now,
    )


@pytest.mark.parametrize("case", ASYMMETRIC, ids=lambda case: case["section"])
def test_rfc9421_vector_signature_verifies_with_the_published_key(case: dict[str, Any]) -> None:
    verified = _check_vector(case)
    assert verified.key_id == case["keyid"]
    assert verified.algorithm == case["alg"]


@pytest.mark.parametrize("case", ASYMMETRIC, ids=lambda case: case["section"])
def test_rfc9421_vector_is_refused_on_todays_clock_line_6(case: dict[str, Any]) -> None:
    with pytest.raises(SignatureError, match="too old"):
        _check_vector(case, now=None)


def test_rfc9421_b23_vector_passes_the_full_request_policy() -> None:
    case = next(case for case in ASYMMETRIC if case["section"] == "B.2.3")
    request = RFC9421["test_request"]
    args = ("POST", request["target_uri"], _rfc_headers("request", case), request["body"].encode())
    assert verify_request_rfc9421(*args, _published_key, now=RFC9421_NOW) == "test-key-rsa-pss"
    assert verify_any(*args, _published_key, now=RFC9421_NOW) == "test-key-rsa-pss"


@pytest.mark.parametrize(
    ("section", "reason"),
    [
        ("B.2.1", "must cover @method, @target-uri.*content-digest"),
        ("B.2.2", "must cover @method, @target-uri"),
        ("B.2.6", "must cover @target-uri.*content-digest"),
    ],
)
def test_rfc9421_vectors_covering_too_little_are_refused_by_the_inbox_lines_5_7(
    section: str, reason: str
) -> None:
    case = next(case for case in ASYMMETRIC if case["section"] == section)
    request = RFC9421["test_request"]
    with pytest.raises(SignatureError, match=reason):
        verify_request_rfc9421(
            "POST",
            request["target_uri"],
            _rfc_headers("request", case),
            request["body"].encode(),
            _published_key,
            now=RFC9421_NOW,
        )


@pytest.mark.parametrize(
    "resolved",
    [
        (VECTORS / "rfc9421" / "test-shared-secret.b64").read_text().strip(),
        base64.b64decode((VECTORS / "rfc9421" / "test-shared-secret.b64").read_text()),
        (VECTORS / "rfc9421" / "test-key-rsa.pub.pem").read_text(),
    ],
    ids=["secret-as-text", "secret-as-bytes", "rsa-public-key"],
)
def test_rfc9421_hmac_vector_b25_is_refused_line_3(resolved: str | bytes) -> None:
    case = next(case for case in RFC9421["cases"] if case["section"] == "B.2.5")
    request = RFC9421["test_request"]
    with pytest.raises(SignatureError):
        check_request_rfc9421(
            "POST",
            request["target_uri"],
            _rfc_headers("request", case),
            request["body"].encode(),
            lambda _: resolved,
            now=RFC9421_NOW,
        )


# --- RFC 9421 round trips and policy ------------------------------------------


@dataclass
class _Message:
    """The request shape http-message-signatures signs, for hand-made requests."""

    method: str
    url: str
    headers: dict[str, str]


def _pem_pair(private: Any) -> tuple[str, str]:
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem.decode(), public_pem.decode()


@pytest.fixture(scope="module")
def keys_by_type(member: tuple[str, str]) -> dict[str, tuple[str, str]]:
    return {
        "rsa-v1_5-sha256": member,
        "ecdsa-p256-sha256": _pem_pair(ec.generate_private_key(ec.SECP256R1())),
        "ed25519": _pem_pair(ed25519.Ed25519PrivateKey.generate()),
    }


@pytest.mark.parametrize("alg", ["rsa-v1_5-sha256", "ecdsa-p256-sha256", "ed25519"])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_rfc9421_round_trip_per_key_type(
    alg: str, method: str, keys_by_type: dict[str, tuple[str, str]]
) -> None:
    private, public = keys_by_type[alg]
    body = BODY if method == "POST" else None
    headers = sign_request_rfc9421(method, INBOX, AS_JSON, body, KEY_ID, private, now=NOW)
    assert f'alg="{alg}"' in headers["Signature-Input"]
    assert verify_any(method, INBOX, headers, body, lambda _: public, now=NOW) == KEY_ID
    if method == "POST":
        assert headers["Content-Digest"].startswith("sha-256=:")


def test_rfc9421_body_changed_after_signing_is_refused_line_4(member: tuple[str, str]) -> None:
    headers = sign_request_rfc9421("POST", INBOX, AS_JSON, BODY, KEY_ID, member[0], now=NOW)
    with pytest.raises(SignatureError, match="Content-Digest does not match"):
        verify_request_rfc9421("POST", INBOX, headers, BODY + b" ", lambda _: member[1], now=NOW)


def test_rfc9421_post_without_a_covered_content_digest_is_refused_line_5(
    member: tuple[str, str],
) -> None:
    message = _Message("POST", INBOX, dict(AS_JSON))
    signer = HTTPMessageSigner(
        signature_algorithm=RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: member[0].encode()}),
    )
    signer.sign(
        message, key_id=KEY_ID, created=NOW, covered_component_ids=("@method", "@target-uri")
    )
    with pytest.raises(SignatureError, match="must cover content-digest"):
        verify_request_rfc9421("POST", INBOX, message.headers, BODY, lambda _: member[1], now=NOW)


@pytest.mark.parametrize("include_alg", [True, False], ids=["alg-hmac-sha256", "no-alg"])
def test_rfc9421_hmac_forgery_keyed_with_the_public_pem_never_verifies_line_3(
    include_alg: bool, member: tuple[str, str]
) -> None:
    message = _Message("POST", INBOX, dict(AS_JSON))
    forger = HTTPMessageSigner(
        signature_algorithm=HMAC_SHA256,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: member[1].encode()}),
    )
    forger.sign(
        message,
        key_id=KEY_ID,
        created=NOW,
        include_alg=include_alg,
        covered_component_ids=("@method", "@target-uri"),
        body=BODY,
    )
    with pytest.raises(SignatureError):
        verify_any("POST", INBOX, message.headers, BODY, lambda _: member[1], now=NOW)


def test_rfc9421_alg_that_disagrees_with_the_key_type_is_refused_line_3(
    keys_by_type: dict[str, tuple[str, str]],
) -> None:
    ed_private, _ = keys_by_type["ed25519"]
    rsa_public = keys_by_type["rsa-v1_5-sha256"][1]
    headers = sign_request_rfc9421("POST", INBOX, AS_JSON, BODY, KEY_ID, ed_private, now=NOW)
    with pytest.raises(SignatureError, match="does not match the signer's key type"):
        verify_any("POST", INBOX, headers, BODY, lambda _: rsa_public, now=NOW)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "https://hearth.example/users/bob/inbox"),
        ("PUT", INBOX),
        ("POST", INBOX + "?x=1"),
        ("POST", "https://other.example/inbox"),
    ],
    ids=["other-path", "other-method", "other-query", "other-host"],
)
def test_rfc9421_signed_for_another_target_is_refused_line_7(
    method: str, url: str, member: tuple[str, str]
) -> None:
    headers = sign_request_rfc9421("POST", INBOX, AS_JSON, BODY, KEY_ID, member[0], now=NOW)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_any(method, url, headers, BODY, lambda _: member[1], now=NOW)


@pytest.mark.parametrize(
    ("signed_at", "reason"),
    [(NOW + timedelta(hours=2), "too far in the future"), (NOW - timedelta(hours=2), "too old")],
    ids=["2h-ahead", "2h-old"],
)
def test_rfc9421_created_outside_the_hour_is_refused_line_6(
    signed_at: datetime, reason: str, member: tuple[str, str]
) -> None:
    headers = sign_request_rfc9421("POST", INBOX, AS_JSON, BODY, KEY_ID, member[0], now=signed_at)
    with pytest.raises(SignatureError, match=reason):
        verify_any("POST", INBOX, headers, BODY, lambda _: member[1], now=NOW)


def test_rfc9421_expired_or_undated_signature_is_refused_line_6(member: tuple[str, str]) -> None:
    message = _Message("POST", INBOX, dict(AS_JSON))
    signer = HTTPMessageSigner(
        signature_algorithm=RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: member[0].encode()}),
    )
    signer.sign(
        message,
        key_id=KEY_ID,
        created=NOW - timedelta(minutes=2),
        expires=NOW - timedelta(minutes=1),
        covered_component_ids=("@method", "@target-uri"),
        body=BODY,
    )
    with pytest.raises(SignatureError, match="expired"):
        verify_any("POST", INBOX, message.headers, BODY, lambda _: member[1], now=NOW)
    undated = {
        **message.headers,
        "Signature-Input": re.sub(r";created=\d+", "", message.headers["Signature-Input"]),
    }
    with pytest.raises(SignatureError, match='no "created"'):
        verify_any("POST", INBOX, undated, BODY, lambda _: member[1], now=NOW)


def test_rfc9421_several_signatures_are_refused(member: tuple[str, str]) -> None:
    headers = sign_request_rfc9421("POST", INBOX, AS_JSON, BODY, KEY_ID, member[0], now=NOW)
    headers["Signature-Input"] += ", " + headers["Signature-Input"].replace("sig1=", "sig2=")
    headers["Signature"] += ", " + headers["Signature"].replace("sig1=", "sig2=")
    with pytest.raises(SignatureError, match="exactly one signature"):
        verify_any("POST", INBOX, headers, BODY, lambda _: member[1], now=NOW)
