"""JSON from other servers, parsed without trusting it (RELIABILITY.md 32-34).

The size is checked before anything else, the nesting depth is measured on
the bytes before ``json.loads`` sees them (so a document nested a million
deep is refused in linear time and never reaches the recursive parser), and
every failure is an InvalidDocument (or its PayloadTooLarge) with a reason
that is safe to show the peer.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from federation.errors import InvalidDocument, PayloadTooLarge

MAX_BYTES = 1_000_000
MAX_DEPTH = 64

# A JSON string, "unrolled" so that the regex engine never backtracks into it.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def parse_json(
    body: bytes, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> dict[str, Any]:
    """The JSON object in ``body``.

    Raises PayloadTooLarge when ``body`` is longer than ``max_bytes``, and
    InvalidDocument when it is not UTF-8, not JSON, nested deeper than
    ``max_depth`` or not an object at the top level.
    """
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"document larger than {max_bytes} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidDocument(f"document is not valid UTF-8 (byte {exc.start})") from exc
    depth = nesting_depth(text)
    if depth > max_depth:
        raise InvalidDocument(f"document nested deeper than {max_depth} levels")
    value = _loads(text)
    if not isinstance(value, dict):
        raise InvalidDocument(f"top level is {_kind(value)}, not an object")
    return value


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text``, brackets inside strings
    not counted. Linear time, no recursion.

    For any prefix that ``json.loads`` accepts, this sees the same strings and
    the same brackets, so the parser can never nest deeper than the value
    returned here (invalid JSON may count higher: it is refused either way).
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(0, max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0))


def require_fields(doc: dict[str, Any], *names: str) -> None:
    """Raise InvalidDocument naming the first of ``names`` that ``doc`` lacks
    (absent, null or an empty string)."""
    for name in names:
        if doc.get(name) in (None, ""):
            raise InvalidDocument(f"document has no {name!r}")


def _loads(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InvalidDocument(
            f"document is not JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        ) from exc
    except (ValueError, RecursionError) as exc:
        # ValueError: an integer longer than Python converts (int_max_str_digits)
        # or NaN/Infinity; RecursionError cannot happen after the depth check
        # but must never escape if it did.
        raise InvalidDocument(f"document is not acceptable JSON: {exc}") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"
