"""Where the fetcher may connect: public addresses only, unless the operator allows more.

A feed, a sitemap, a page's redirect or robots.txt can name any host, and a
name can resolve to anything: `localhost`, `10.0.0.5`, `169.254.169.254`
(a cloud's metadata service), `[::ffff:127.0.0.1]`, `2130706433`. Fetching
those would let anyone who writes a feed read this machine's private
services and publish what they answer. So every connection the fetcher
makes goes through `OutsideOnlyTransport`:

- the host is resolved (`getaddrinfo`: the same rules as any client, so
  decimal, octal and short IPv4 forms resolve as they would be connected);
- every address it resolves to must be public (`address_problem`): not
  loopback, private, shared (CGNAT), link-local, multicast, unspecified,
  reserved or documentation space, IPv4 or IPv6, and an IPv4-mapped,
  IPv4-compatible or NAT64 IPv6 address is judged by the IPv4 address in it;
  one refused address refuses the host;
- the socket connects to an address it checked, and TLS still checks the
  certificate against the URL's host name (SNI): there is no second lookup
  between the check and the connection for DNS rebinding to use.

Each request opens its own connections through this check (redirect hops
and robots.txt included), since httpx asks the transport for each one.
Addresses in `allowed` (CIDR networks the operator lists in
CLAIMGRAPH_FETCH_ALLOWED_NETWORKS, e.g. `127.0.0.1/32` for a local test
site) are let through. A refusal raises `AddressRefused`, an
`httpx.ConnectError` whose message names the host, the address and why.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import httpcore
import httpx
from httpcore._backends.sync import SyncBackend

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not private by name, not public either
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(httpx.ConnectError):
    """The fetcher will not connect there: the host resolves to an address that is not public."""


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """CIDR networks (or single addresses) from the operator's list; ValueError names a bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"not an IP network or address: {entry!r} ({exc})") from None
    return tuple(networks)


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64)."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # ::a.b.c.d (deprecated IPv4-compatible), not :: or ::1
        return ipaddress.IPv4Address(int(ip))
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why the fetcher must not connect to `ip` (None: a public address)."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        problem = address_problem(inner)
        return f"{problem} ({inner} inside)" if problem else None
    for test, name in ((ip.is_unspecified, "an unspecified address"), (ip.is_loopback, "a loopback address"),
                       (ip.is_link_local, "a link-local address (cloud metadata services live there)"),
                       (ip.is_multicast, "a multicast address"),
                       (ip.version == 4 and ip in _SHARED, "in the shared address space (CGNAT)"),
                       (ip.is_reserved, "a reserved address"), (ip.is_private, "a private address")):
        if test:
            return name
    if not ip.is_global:
        return "not a public address"
    return None


def check_address(host: str, ip: IPAddress, allowed: tuple[Network, ...]) -> None:
    """Raise AddressRefused unless `ip` is public or inside an allowed network."""
    if any(ip.version == n.version and ip in n for n in allowed):
        return
    problem = address_problem(ip)
    if problem:
        shown = host if host == str(ip) else f"{host} ({ip})"
        raise AddressRefused(f"{shown} is {problem}; the fetcher connects only to public addresses "
                             "(allow a network with CLAIMGRAPH_FETCH_ALLOWED_NETWORKS)")


def resolve(host: str, port: int) -> list[tuple[int, IPAddress]]:
    """(family, address) of every address `host` resolves to, as the connection would use them."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpx.ConnectError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    found: dict[IPAddress, int] = {}
    for family, _type, _proto, _name, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            found.setdefault(ipaddress.ip_address(sockaddr[0].split("%", 1)[0]), family)
    if not found:
        raise httpx.ConnectError(f"cannot resolve {host}: no IPv4 or IPv6 address")
    return [(family, ip) for ip, family in found.items()]


class _CheckedBackend(SyncBackend):
    """httpcore's socket backend, connecting only to checked addresses of the host it resolved."""

    def __init__(self, allowed: tuple[Network, ...]):
        self.allowed = allowed

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = resolve(host, port)
        for _family, ip in addresses:  # all of them: a name must not mix a public and a private address
            check_address(host, ip, self.allowed)
        last: Exception | None = None
        for _family, ip in addresses:
            try:  # the same connect as SyncBackend's, to this very address
                return super().connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last  # type: ignore[misc]


class OutsideOnlyTransport(httpx.HTTPTransport):
    """httpx's transport whose connections go only to public (or allowed) addresses (module doc).

    httpx 0.28 takes no network backend of its own, so the connection pool it builds is replaced by
    the same pool over `_CheckedBackend`. Proxies from the environment are not used (`trust_env`
    off): through a proxy the fetcher could not see where a connection goes."""

    def __init__(self, allowed: Iterable[str] = (), *, limits: httpx.Limits = httpx.Limits()):
        super().__init__(trust_env=False, limits=limits)
        pool = self._pool
        self._pool = httpcore.ConnectionPool(
            ssl_context=pool._ssl_context, max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=_CheckedBackend(parse_networks(allowed)))
