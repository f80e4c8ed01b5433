"""Parsing JSON from other servers. Each test names its RELIABILITY.md line."""

from __future__ import annotations

import json
import random
import time

import pytest

from federation.errors import InvalidDocument, PayloadTooLarge
from federation.jsonsafe import nesting_depth, parse_json, require_fields

ACTIVITY = {
    "@context": ["https://www.w3.org/ns/activitystreams", {"toot": "http://joinmastodon.org/ns#"}],
    "id": "https://social.example/activities/1",
    "type": "Create",
    "actor": "https://social.example/users/alice",
    "object": {
        "id": "https://social.example/notes/1", "type": "Note",
        "content": '<p>[brackets] {braces} "quotes" \\ and ünïcode</p>',
        "tag": [{"type": "Hashtag", "name": "#recovery"}], "sensitive": False,
    },
}


def test_a_document_round_trips():
    assert parse_json(json.dumps(ACTIVITY).encode()) == ACTIVITY


def test_body_over_the_limit_is_too_large():
    # RELIABILITY.md 32
    body = json.dumps({"id": "x", "pad": "a" * 2000}).encode()
    with pytest.raises(PayloadTooLarge) as caught:
        parse_json(body, max_bytes=1000)
    assert caught.value.status == 413
    assert parse_json(body, max_bytes=len(body))["id"] == "x"


@pytest.mark.parametrize("depth", [10_000, 1_000_000])
@pytest.mark.parametrize("shape", ["array", "object", "unclosed"])
def test_deep_nesting_is_refused_fast_without_recursion(depth, shape):
    # RELIABILITY.md 33: 400, never a RecursionError
    body = {
        "array": b"[" * depth + b"]" * depth,
        "object": b'{"a":' * depth + b"1" + b"}" * depth,
        "unclosed": b'{"a":' + b"[" * depth,
    }[shape]
    start = time.perf_counter()
    with pytest.raises(InvalidDocument, match="deeper than 64") as caught:
        parse_json(body, max_bytes=len(body))
    assert caught.value.status == 400
    assert time.perf_counter() - start < 2.0


def test_nesting_at_the_limit_is_accepted_and_one_more_is_not():
    # RELIABILITY.md 33
    def nested(depth: int) -> bytes:
        return b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    assert isinstance(parse_json(nested(64))["a"], list)
    with pytest.raises(InvalidDocument, match="deeper"):
        parse_json(nested(65))
    assert parse_json(nested(5), max_depth=5)
    with pytest.raises(InvalidDocument):
        parse_json(nested(6), max_depth=5)


def test_brackets_inside_strings_do_not_count():
    # RELIABILITY.md 33
    text = json.dumps({"content": "[" * 5000 + '\\"{' * 5000, "x": [["]"]]})
    assert nesting_depth(text) == 3
    assert parse_json(text.encode())["x"] == [["]"]]


def test_a_depth_limit_above_the_recursion_limit_still_gives_invalid_document():
    # RELIABILITY.md 33: a depth limit above Python's recursion limit is still safe
    body = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(InvalidDocument):
        parse_json(body, max_depth=10**9)


@pytest.mark.parametrize(("body", "reason"), [
    (b'{"id": "caf\xe9"}', "UTF-8"),
    (b"\xff\xfe{\x00}\x00", "UTF-8"),
    (b"", "not JSON"),
    (b"<!doctype html><html></html>", "not JSON"),
    (b'{"id": "x",}', "not JSON"),
    (b'{"id": "x"} trailing', "not JSON"),
    (b'\xef\xbb\xbf{"id": "x"}', "not JSON"),
    (b'[{"id": "x"}]', "an array"),
    (b'"just a string"', "a string"),
    (b"42", "a number"),
    (b"null", "null"),
    (b"true", "a boolean"),
    (b'{"n": NaN}', "NaN"),
    (b'{"n": -Infinity}', "Infinity"),
    (b'{"n": ' + b"9" * 5000 + b"}", "not acceptable"),
])
def test_not_utf8_not_json_or_not_an_object_is_invalid(body, reason):
    # RELIABILITY.md 34
    with pytest.raises(InvalidDocument, match=reason) as caught:
        parse_json(body)
    assert not isinstance(caught.value, PayloadTooLarge)
    assert caught.value.status == 400


@pytest.mark.parametrize("missing", ["id", "type", "actor"])
def test_missing_required_field_is_named(missing):
    # RELIABILITY.md 34
    doc = {k: v for k, v in ACTIVITY.items() if k != missing}
    with pytest.raises(InvalidDocument, match=repr(missing)):
        require_fields(doc, "id", "type", "actor")
    with pytest.raises(InvalidDocument, match=repr(missing)):
        require_fields({**ACTIVITY, missing: None}, "id", "type", "actor")
    with pytest.raises(InvalidDocument, match=repr(missing)):
        require_fields({**ACTIVITY, missing: ""}, "id", "type", "actor")
    require_fields(ACTIVITY, "id", "type", "actor")


def _mutations(rng: random.Random, seed_docs: list[bytes]) -> bytes:
    pick = rng.randrange(6)
    if pick == 0:
        return rng.randbytes(rng.randrange(64))
    doc = bytearray(rng.choice(seed_docs))
    if pick == 1:
        for _ in range(rng.randrange(1, 6)):
            doc[rng.randrange(len(doc))] = rng.randrange(256)
    elif pick == 2:
        doc = doc[: rng.randrange(len(doc))]
    elif pick == 3:
        at = rng.randrange(len(doc))
        doc[at:at] = rng.choice([b"[", b"{", b'"', b"\\", b"]", b"}"]) * rng.randrange(1, 300)
    elif pick == 4:
        doc = bytearray(bytes(rng.choice(b'[]{}":,\\ 1an') for _ in range(rng.randrange(200))))
    else:
        doc = bytearray(rng.choice([b"[", b'{"a":', b'["', b"[{"]) * rng.randrange(1, 3000))
    return bytes(doc)


def test_random_input_only_ever_raises_invalid_document():
    # RELIABILITY.md 33, 34: a bounded fuzz (fixed seed, 4000 inputs)
    rng = random.Random(20240601)  # noqa: S311 (a reproducible fuzz, not a secret)
    seeds = [json.dumps(ACTIVITY).encode(), b'{"a": [1, 2, {"b": "c\\"]"}], "d": null}', b"{}"]
    accepted = 0
    for _ in range(4000):
        body = _mutations(rng, seeds)
        try:
            result = parse_json(body, max_bytes=20_000)
        except InvalidDocument:  # PayloadTooLarge included
            continue
        assert isinstance(result, dict)
        accepted += 1
    assert accepted > 0
