"""Where webhooks may go: hosts an admin allowed, never a private, loopback or link-local address unless
its network is allowed explicitly (server-side request forgery). The name is resolved once, every address
it resolves to is checked, and the request connects to the checked address (the name still goes in `Host`
and in TLS's SNI and certificate check), so a DNS answer that changes between check and use does not
matter. Redirects are never followed (services/evidence/webhooks/dispatcher.py)."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from kaohe.i18n import _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]
MAX_URL = 2000


class Refused(ValueError):
    """The URL may not be called; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `address`, present `host`."""

    url: str  # the URL with the address in place of the name
    host_header: str  # the name (and port when it is not the scheme's)
    server_name: str  # the name, for TLS (SNI and the certificate check)
    address: str


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _special(address: IPAddress) -> str | None:
    """Why an address is not a public one, else None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _special(address.ipv4_mapped)
    for label, test in (("loopback", address.is_loopback), ("link-local", address.is_link_local),
                        ("private", address.is_private), ("multicast", address.is_multicast),
                        ("unspecified", address.is_unspecified), ("reserved", address.is_reserved)):
        if test:
            return label
    if not address.is_global:
        return "not public"
    return None


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """`10.0.0.0/8, 127.0.0.1` → networks (ValueError naming the bad entry)."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP network such as 10.0.0.0/8") from None
    return tuple(networks)


def parse_hosts(text: str) -> tuple[str, ...]:
    """`hooks.example.org, *.partner.cn` → lower-case host patterns."""
    return tuple(part.strip().lower().rstrip(".") for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class UrlPolicy:
    """`hosts` empty means any host (development only); `networks` are the non-public networks allowed."""

    hosts: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()
    any_host: bool = True
    https_only: bool = False

    def host_allowed(self, host: str) -> bool:
        if self.any_host and not self.hosts:
            return True
        for pattern in self.hosts:
            if pattern.startswith("*."):
                if host.endswith(pattern[1:]) and host != pattern[2:]:
                    return True
            elif host == pattern:
                return True
        return False

    def check(self, url: str) -> tuple[str, str, int]:
        """Scheme, host and port of an acceptable URL (before resolving); Refused otherwise."""
        if len(url) > MAX_URL:
            raise Refused(_("the URL has more than %(max_url)s characters", max_url=MAX_URL))
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise Refused(_("the URL is malformed: %(exc)s", exc=exc)) from None
        schemes = ("https",) if self.https_only else ("http", "https")
        if parts.scheme not in schemes:
            raise Refused(_("the URL must start with %(names)s", names=' or '.join(s + '://' for s in schemes)))
        if parts.username is not None or parts.password is not None:
            raise Refused(_("the URL may not carry a user name or password"))
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise Refused(_("the URL has no host"))
        if not self.host_allowed(host):
            raise Refused(_("host %(host)r is not in the allowed webhook hosts "
                            "(KAOHE_EVIDENCE_WEBHOOK_ALLOWED_HOSTS)", host=host))
        literal = _literal(host)
        if literal is None and (host == "localhost" or host.endswith(".localhost")):
            literal = ipaddress.IPv4Address("127.0.0.1")  # RFC 6761: such names are the loopback, whatever DNS says
        if literal is not None:
            self.check_address(literal)
        return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)

    def check_address(self, address: IPAddress) -> None:
        if any(address in network for network in self.networks):
            return
        reason = _special(address)
        if reason is not None:
            raise Refused(_("%(address)s is a %(reason)s address; webhooks go to public addresses only "
                            "(KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS allows a network explicitly)",
                            address=address, reason=reason))

    async def resolve(self, url: str, resolver: Resolver = system_resolver) -> Target:
        """The checked destination of `url`: every address the name resolves to must be acceptable."""
        _scheme, host, port = self.check(url)
        literal = _literal(host)
        if literal is not None:
            addresses: Sequence[IPAddress] = [literal]
        else:
            try:
                found = await resolver(host, port)
            except OSError as exc:
                raise Refused(_("cannot resolve %(host)s: %(exc)s", host=host, exc=exc)) from None
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
            if not addresses:
                raise Refused(_("%(host)s resolves to no address", host=host))
        for address in addresses:
            self.check_address(address)
        chosen = addresses[0]
        parts = urlsplit(url)
        shown = f"[{chosen}]" if chosen.version == 6 else str(chosen)
        pinned = parts._replace(netloc=f"{shown}:{port}").geturl()
        return Target(url=pinned, host_header=host if parts.port is None else f"{host}:{port}", server_name=host,
                      address=str(chosen))


# What the C library's inet_aton reads as an IPv4 address besides dotted decimal: 1 to 4 parts, each decimal,
# octal (leading 0) or hex (0x): 2130706433, 127.1, 0177.0.0.1, 0x7f.1 are all 127.0.0.1 to getaddrinfo.
_INET_ATON = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}")


def _literal(host: str) -> IPAddress | None:
    """The address a host written as an IP address stands for, in any form the resolver would accept."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if _INET_ATON.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise Refused(_("the URL's host %(host)r is not a valid IP address", host=host)) from None
    return None
