"""Host names and IP addresses of remote servers: normalising, comparing, and
refusing the special-purpose ranges (RELIABILITY.md 9, 22, 46).

An address is *public* only when it is globally routable unicast. Everything
else is refused before a socket is opened: private, loopback, link-local,
multicast, reserved, unspecified, shared (CGNAT 100.64/10), documentation and
benchmarking ranges, every IPv4-mapped address (``::ffff:*``), and IPv6 forms
that embed an IPv4 address (IPv4-compatible, 6to4, Teredo, NAT64) when the
embedded address is not public.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import idna

from federation.errors import FetchFailed, FetchRefused, InvalidDocument

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")

# Listed on top of what the ``ipaddress`` properties already cover, so that a
# change in their definitions between Python versions cannot open a hole.
_SPECIAL_V4 = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)
_SPECIAL_V6 = (
    "::/128", "::1/128", "::ffff:0:0/96", "::/96", "64:ff9b:1::/48", "100::/64",
    "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "2001:db8::/32",
)
_NAT64 = "64:ff9b::/96"


def normalise_host(host: str) -> str:
    """The one spelling of ``host`` that is compared and connected to.

    Lower case, no trailing dot, IDNA (punycode) for international names, no
    brackets around IPv6 literals, canonical text for IP literals. Raises
    InvalidDocument for something that is not a host name.
    """
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    literal = _ip_literal(text)
    if literal is not None:
        return str(literal)
    if text.endswith("."):
        text = text[:-1]
    if not text.isascii():
        try:
            text = idna.encode(text, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise InvalidDocument(f"invalid international host name {host!r}") from exc
    text = text.lower()
    if len(text) > 253 or not all(_LABEL.fullmatch(label) for label in text.split(".")):
        raise InvalidDocument(f"invalid host name {host!r}")
    return text


def origin_of(url: str) -> tuple[str, str, int]:
    """(scheme, normalised host, port) of an absolute http(s) URL, the port
    filled in from the scheme when absent. Raises InvalidDocument otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidDocument(f"invalid URL {url!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidDocument(f"not an http(s) URL: {url!r}")
    return scheme, normalise_host(parts.hostname), port or DEFAULT_PORTS[scheme]


def authority(url: str) -> str:
    """``host``, or ``host:port`` when the port is not the scheme's default:
    how a peer server is named (two instances may share one address)."""
    scheme, host, port = origin_of(url)
    shown = f"[{host}]" if ":" in host else host
    return shown if port == DEFAULT_PORTS.get(scheme) else f"{shown}:{port}"


def same_origin(a_url: str, b_url: str) -> bool:
    """Whether two URLs share scheme, host and port once normalised
    (RELIABILITY.md 22). Anything unparsable is never the same origin."""
    try:
        return origin_of(a_url) == origin_of(b_url)
    except InvalidDocument:
        return False


def is_blocked(host: str, blocked_domains: Iterable[str]) -> bool:
    """Whether normalised ``host`` is a blocked domain or one of its subdomains."""
    blocked = _normalised_domains(frozenset(blocked_domains))
    if _ip_literal(host) is not None:
        return host in blocked
    labels = host.split(".")
    return any(".".join(labels[i:]) in blocked for i in range(len(labels)))


def is_public_address(address: IPAddress) -> bool:
    """Whether a connection to ``address`` may be opened for a remote fetch."""
    if isinstance(address, ipaddress.IPv6Address):
        return _is_public_v6(address)
    return _is_public_v4(address)


async def resolve_public(
    host: str, port: int, *, allow_private: bool, dns_timeout: float
) -> tuple[str, ...]:
    """Every address ``host`` resolves to, in resolver order, once each.

    Raises FetchRefused when any of them is not public (unless
    ``allow_private``), and FetchFailed when the name does not resolve in
    ``timeout`` seconds. ``host`` must already be normalised. An IP literal is
    checked as it is, without asking the resolver.
    """
    literal = _ip_literal(host)
    if literal is not None:
        found: tuple[IPAddress, ...] = (literal,)
    else:
        found = await _resolve(host, port, dns_timeout)
    if not allow_private:
        for address in found:
            if not is_public_address(address):
                raise FetchRefused(f"{host} resolves to the special-purpose address {address}")
    return tuple(str(address) for address in found)


async def _resolve(host: str, port: int, dns_timeout: float) -> tuple[IPAddress, ...]:
    try:
        async with asyncio.timeout(dns_timeout):
            infos = await _getaddrinfo(host, port)
    except TimeoutError as exc:
        raise FetchFailed(f"{host}: no DNS answer within {dns_timeout:g} s") from exc
    except (OSError, UnicodeError) as exc:
        raise FetchFailed(f"{host}: DNS lookup failed") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = _ip_literal(str(info[4][0]))
        if address is None:
            raise FetchFailed(f"{host}: resolver gave an unreadable address")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchFailed(f"{host}: DNS lookup gave no address")
    return tuple(addresses)


async def _getaddrinfo(host: str, port: int) -> list[tuple[Any, ...]]:
    """The resolver, on its own so that tests can stand in for DNS."""
    loop = asyncio.get_running_loop()
    return await loop.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )


def _ip_literal(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        # A zone index only makes sense for link-local: keep it visible to the
        # range checks by dropping it from the value compared.
        return ipaddress.IPv6Address(text.split("%", 1)[0])
    return address


def _is_public_v4(address: ipaddress.IPv4Address) -> bool:
    if any(address in network for network in _networks(_SPECIAL_V4)):
        return False
    return address.is_global and not (
        address.is_private or address.is_loopback or address.is_link_local
        or address.is_multicast or address.is_reserved or address.is_unspecified
    )


def _is_public_v6(address: ipaddress.IPv6Address) -> bool:
    if address.ipv4_mapped is not None:
        return False
    if address in _networks((_NAT64,))[0]:
        # DNS64 answers for IPv4-only hosts on IPv6-only networks: judge the
        # embedded address, the one the NAT64 gateway will really connect to.
        return _is_public_v4(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    embedded = [address.sixtofour] if address.sixtofour is not None else []
    if address.teredo is not None:
        embedded.extend(address.teredo)
    if any(not _is_public_v4(inner) for inner in embedded):
        return False
    if any(address in network for network in _networks(_SPECIAL_V6)):
        return False
    return address.is_global and not (
        address.is_private or address.is_loopback or address.is_link_local
        or address.is_site_local or address.is_multicast or address.is_reserved
        or address.is_unspecified
    )


@functools.cache
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


@functools.lru_cache(maxsize=16)
def _normalised_domains(domains: frozenset[str]) -> frozenset[str]:
    normalised = set()
    for domain in domains:
        try:
            normalised.add(normalise_host(domain))
        except InvalidDocument:
            normalised.add(domain.strip().rstrip(".").lower())
    return frozenset(normalised)
