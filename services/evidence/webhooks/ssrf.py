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
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

from kaohe.i18n import Text, _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]
MAX_URL = 2000


class Refused(ValueError):
    """The URL may not be called; the message says why."""


class Unreachable(Refused):
    """The URL's host name does not resolve, or resolves to an address that may not be called. The message says
    which address and why, for the server's log: a subscriber is told only that the name is not public, so that a
    subscription cannot map how the server resolves internal names."""


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


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052's well-known prefix: the IPv4 address in the last 32 bits
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215's local-use prefix (never public; same layout read)
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d (RFC 4291 §2.5.5.1)


def _label(address: IPAddress) -> Text | None:
    """Why an address is not a public one (its own range, whatever it may embed), else None."""
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    for label, test in ((_("loopback"), address.is_loopback), (_("non-routable (unspecified)"), address.is_unspecified),
                        (_("link-local"), address.is_link_local), (_("site-local"), site_local),
                        (_("multicast"), address.is_multicast), (_("private"), address.is_private),
                        (_("reserved"), address.is_reserved)):
        if test:
            return label
    if not address.is_global:
        return _("non-public")
    return None


def _embedded(address: ipaddress.IPv6Address) -> list[tuple[Text, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, with the form that carries each: IPv4-mapped ::ffff:a.b.c.d,
    IPv4-compatible ::a.b.c.d, 6to4 2002::/16, Teredo 2001::/32 (its server and its client), NAT64 64:ff9b::/96
    and 64:ff9b:1::/48. A request to such an address may reach the IPv4 address it carries (the host's own
    stack, a relay or a translator), so that address is judged as if it were the URL's."""
    found: list[tuple[Text, ipaddress.IPv4Address]] = []
    if address.ipv4_mapped is not None:
        found.append((_("IPv4-mapped"), address.ipv4_mapped))
    if address in IPV4_COMPATIBLE and int(address) > 1:  # :: and ::1 are IPv6's own unspecified and loopback
        found.append((_("IPv4-compatible"), ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)))
    if address.sixtofour is not None:
        found.append((_("6to4"), address.sixtofour))
    if address.teredo is not None:
        server, client = address.teredo
        found += [(_("Teredo server"), server), (_("Teredo client"), client)]
    if address in NAT64 or address in NAT64_LOCAL:
        found.append((_("NAT64"), ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)))
    return found


def refusal(address: IPAddress) -> Text | None:
    """Why webhooks may not go to `address`, else None. An IPv6 address that carries an IPv4 address is refused
    for that address's reason; IPv4-mapped, 6to4 and well-known NAT64 addresses are otherwise judged by the IPv4
    address alone (Python's view of their IPv6 ranges differs between versions); every other IPv6 address also
    by its own range (IPv4-compatible, Teredo and local-use NAT64 ones are all refused there)."""
    if isinstance(address, ipaddress.IPv6Address):
        for form, carried in _embedded(address):
            reason = _label(carried)
            if reason is not None:
                return _("%(address)s embeds %(ipv4)s (%(form)s), a %(reason)s address; webhooks go to public "
                         "addresses only (KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS allows a network explicitly)",
                         address=address, ipv4=carried, form=form, reason=reason)
        if address.ipv4_mapped is not None or address.sixtofour is not None or address in NAT64:
            return None
    reason = _label(address)
    if reason is None:
        return None
    return _("%(address)s is a %(reason)s address; webhooks go to public addresses only "
             "(KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS allows a network explicitly)", address=address, reason=reason)


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


# Ports below 1024 are the well-known services' (SSH 22, SMTP 25, DNS 53, …) and 0 is no port: a webhook is an
# HTTP(S) request, to 80, 443 or a port from 1024 on (docs/decisions.md, "Webhook URL ports").
WEB_PORTS = (80, 443)
FIRST_UNPRIVILEGED_PORT = 1024


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
        if parts.scheme not in schemes:  # "or" is a word of the sentence, so that it is translated with it
            raise Refused(_("the URL must start with %(name)s", name="https://") if self.https_only else
                          _("the URL must start with %(first)s or %(second)s", first="http://", second="https://"))
        if port is not None and port not in WEB_PORTS and port < FIRST_UNPRIVILEGED_PORT:
            raise Refused(_("port %(port)s is refused: a webhook goes to port 80, 443 or one from %(first)s on",
                            port=port, first=FIRST_UNPRIVILEGED_PORT))
        if parts.username is not None or parts.password is not None:
            raise Refused(_("the URL may not carry a user name or password"))
        host = ascii_host(parts.hostname or "")
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

    def normalized(self, url: str) -> str:
        """`url` once `check` accepts it, with its host in the ASCII form a request sends (IDNA): what a
        subscription stores, so that the URL shown is the one called."""
        _scheme, host, _port = self.check(url)
        parts = urlsplit(url)
        if parts.hostname is None or parts.hostname.isascii():
            return url
        return parts._replace(netloc=host if parts.port is None else f"{host}:{parts.port}").geturl()

    def check_address(self, address: IPAddress) -> None:
        if any(address in network for network in self.networks):
            return
        refused = refusal(address)
        if refused is not None:
            raise Refused(refused)

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
                raise Unreachable(_("cannot resolve %(host)s: %(exc)s", host=host, exc=exc)) from None
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
            if not addresses:
                raise Unreachable(_("%(host)s resolves to no address", host=host))
        for address in addresses:
            try:
                self.check_address(address)
            except Refused as exc:
                if literal is not None:
                    raise
                raise Unreachable(*exc.args) from None
        chosen = addresses[0]
        parts = urlsplit(url)
        shown = f"[{chosen}]" if chosen.version == 6 else str(chosen)
        pinned = parts._replace(netloc=f"{shown}:{port}").geturl()
        return Target(url=pinned, host_header=host if parts.port is None else f"{host}:{port}", server_name=host,
                      address=str(chosen))


# A host name's characters once in ASCII: letters, digits, '.', '-', '_' (some DNS names carry it); an IPv6 literal
# (judged by the address rules) is the only other host.
_ASCII_HOST = re.compile(r"[a-z0-9._-]+")


def _bad_characters(host: str) -> Refused:
    return Refused(_("the URL's host %(host)r may hold only letters, digits, '.', '-' and '_' (no spaces, control "
                     "or bidirectional-formatting characters)", host=host))


def ascii_host(hostname: str) -> str:
    """The host of a URL as a request sends it: lower-case, without the root's dot, and in ASCII. A name in other
    scripts is encoded by IDNA with UTS #46 mapping (例子.中国 → xn--fsqu00a.xn--fiqs8s), which also maps ideographic
    full stops (。．｡) to '.' and fullwidth and circled digits (１, ①) to digits: 127。0。0。1 and ①②⑦.0.0.1 become
    127.0.0.1 and are then judged by the address rules as written so. Spaces, control and bidirectional-formatting
    characters, and anything IDNA refuses, are refused here, at subscription time, rather than by the HTTP client
    at the first delivery."""
    host = hostname.lower().rstrip(".")
    if not host.isascii():
        if any(unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp") for c in host):
            raise _bad_characters(host)
        try:
            host = idna.encode(host, uts46=True, transitional=False).decode("ascii").rstrip(".")
        except (idna.IDNAError, UnicodeError):
            raise Refused(_("the URL's host %(host)r is not a valid internationalised domain name (IDNA)",
                            host=host)) from None
    if host and not _ASCII_HOST.fullmatch(host):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise _bad_characters(host) from None
    return host


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
