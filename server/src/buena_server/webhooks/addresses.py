"""Where webhooks may be sent: the address classes Buena never calls (SSRF), checked when a
URL is accepted and again, through ``GuardedResolver``, every time a delivery resolves it.

A check at creation alone is not enough: a host that resolved to a public address then may
resolve to 127.0.0.1 or 169.254.169.254 at delivery time (DNS rebinding), so the connection
itself only ever goes to addresses that passed the check.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Hosts refused by name, whatever they resolve to.
_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
_METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_ULA = ipaddress.ip_network("fc00::/7")
_RFC1918 = tuple(
    ipaddress.ip_network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
# 6to4 and NAT64 carry an IPv4 address inside: judged by it.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(OSError):
    """A webhook host resolved to an address of a refused class (raised by the resolver, so
    that aiohttp never opens the connection)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused: {reason}")
        self.reason = reason


def refusal_reason(address: IPAddress) -> str | None:
    """Why ``address`` is never called, or None when it may be."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            reason = refusal_reason(inner)
            return f"an IPv4-mapped {reason}" if reason else None
    if address in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a shared (CGNAT) address"
    if isinstance(address, ipaddress.IPv6Address) and address in _ULA:
        return "a private (unique local) address"
    if isinstance(address, ipaddress.IPv4Address) and any(address in n for n in _RFC1918):
        return "a private address"
    if not address.is_global:
        # Documentation, benchmarking, reserved, broadcast and the like: never a receiver.
        return "a reserved (non-public) address"
    return None


def parse_address(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is a literal one (brackets and zone ids allowed)."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def host_refusal(host: str) -> str | None:
    """Why ``host`` is refused by its name or literal address alone, or None."""
    name = host.lower().rstrip(".")
    if name in _METADATA_HOSTS:
        return f"{host} is a cloud metadata host"
    if name == "localhost" or name.endswith(".localhost"):
        return f"{host} is a loopback host"
    address = parse_address(host)
    if address is not None and (reason := refusal_reason(address)) is not None:
        return f"{host} is {reason}"
    return None


def url_scheme_error(url: str, *, allow_private: bool) -> str | None:
    """What is wrong with ``url``'s scheme or host, before any lookup."""
    parts = urlsplit(url)
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        need = "http or https" if allow_private else "https"
        return f"url must use {need}" + (
            "" if allow_private else " (http only with BUENA_WEBHOOKS_ALLOW_PRIVATE)"
        )
    return None


async def url_refusal(
    url: str, resolver: AbstractResolver, *, allow_private: bool, lookup_seconds: float
) -> str | None:
    """Why a webhook may not be sent to ``url`` (its host named or resolving to a refused
    address), or None. A host that does not resolve now is accepted: the delivery-time check
    judges what it resolves to then."""
    if allow_private:
        return None
    host = urlsplit(url).hostname or ""
    if (reason := host_refusal(host)) is not None:
        return reason
    if parse_address(host) is not None:
        return None
    try:
        async with asyncio.timeout(lookup_seconds):
            results = await resolver.resolve(host, 0, socket.AF_UNSPEC)
    except (OSError, TimeoutError, ValueError):
        # No address now (a ValueError: a name IDNA cannot encode, such as a label over 63
        # characters): judged again, and refused or failed, at delivery.
        return None
    for result in results:
        address = parse_address(result["host"])
        if address is not None and (reason := refusal_reason(address)) is not None:
            return f"{host} resolves to {result['host']}, {reason}"
    return None


class GuardedResolver(AbstractResolver):
    """A resolver that refuses (``AddressRefused``) any host resolving to a refused address,
    wrapping the resolver that does the lookups (aiohttp's default, or a test's)."""

    def __init__(self, inner: AbstractResolver, *, allow_private: bool) -> None:
        self.inner = inner
        self.allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if not self.allow_private and (reason := host_refusal(host)) is not None:
            raise AddressRefused(reason)
        results = await self.inner.resolve(host, port, family)
        if self.allow_private:
            return results
        for result in results:
            address = parse_address(result["host"])
            if address is None:
                raise AddressRefused(f"{host} resolves to {result['host']!r}, not an address")
            if (reason := refusal_reason(address)) is not None:
                raise AddressRefused(f"{host} resolves to {result['host']}, {reason}")
        return results

    async def close(self) -> None:
        await self.inner.close()
