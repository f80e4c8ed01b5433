"""Throughput of draft-cavage HTTP signatures with an RSA-2048 key.

Signs, then verifies, a Mastodon-style POST to an inbox (a ~1 KB Create
activity) for about `--seconds` each, in one process on one core, and prints
signs/s and verifies/s. Signing reuses the loaded key (federation caches it
per PEM), so a third figure gives the one-off cost of loading a private key
PEM, which `cryptography` validates. Every loop is bounded in time and count.

    python bench/signatures.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization

from federation.signatures import generate_rsa_keypair, sign_request, verify_request

MAX_ITERATIONS = 1_000_000
KEY_ID = "https://peer.example/users/alice#main-key"
INBOX = "https://hearth.example/users/bob/inbox"


def _body() -> bytes:
    note = {"type": "Note", "content": "One day at a time. " * 40}
    activity = {"type": "Create", "actor": "https://peer.example/users/alice", "object": note}
    return json.dumps(activity).encode()


def _rate(action: Callable[[], object], seconds: float) -> tuple[float, int]:
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while count < MAX_ITERATIONS and time.perf_counter() < deadline:
        action()
        count += 1
    return count / (time.perf_counter() - start), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    seconds = parser.parse_args().seconds
    private, public = generate_rsa_keypair()
    body, now = _body(), datetime.now(UTC)
    headers = {"Content-Type": "application/activity+json"}
    signed = sign_request("POST", INBOX, headers, body, KEY_ID, private, now=now)

    def sign() -> object:
        return sign_request("POST", INBOX, headers, body, KEY_ID, private, now=now)

    def verify() -> object:
        return verify_request("POST", "/users/bob/inbox", signed, body, public, now=now)

    def load() -> object:
        return serialization.load_pem_private_key(private.encode(), password=None)

    print(f"Python {sys.version.split()[0]} on {platform.machine()}, body {len(body)} bytes")
    for name, action in (("signs", sign), ("verifies", verify), ("private key loads", load)):
        rate, count = _rate(action, seconds)
        print(f"draft-cavage RSA-2048 {name}/s: {rate:,.0f} ({count:,} in ~{seconds:g} s)")


if __name__ == "__main__":
    main()
