"""Which webhook URLs Switchyard may call: the defence against server-side request forgery.

A webhook URL is set by an operator but called by the worker, from inside the network,
so a careless (or hostile) URL could make the worker talk to the database, the Temporal
frontend or a cloud's metadata service. Outside development a URL must be ``https``;
in every environment its host must not be, nor resolve to, a loopback, private,
link-local, unspecified, multicast or reserved address, nor a metadata service, unless
``DOM_WEBHOOK_ALLOWED_HOSTS`` names the host, the address or a range holding it.

The URL is checked when it is set (API, network file) and again at call time, after
resolving its host, so a name that later resolves somewhere else (DNS rebinding) is
refused too. Plain Python: the API, the CLI and the webhook adapter share it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from domain.errors import DomainError

if TYPE_CHECKING:
    from domain.models import Network

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], Sequence[str]]
"""host name -> its addresses (as text); raises ``OSError`` when it does not resolve."""

# Cloud metadata services: credentials live there. By name and by address (AWS's IPv6
# one, fd00:ec2::254, is a unique-local address and is refused as private anyway).
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


class UnsafeWebhook(DomainError):
    """A webhook Switchyard refuses to set or call; the message says why and what to do."""


class UnsafeWebhookUrl(UnsafeWebhook):
    """The URL's scheme or host is not one Switchyard may call."""


class UnsignedWebhook(UnsafeWebhook):
    """A webhook without a signing secret outside development."""


@dataclass(frozen=True)
class AllowedHosts:
    """``DOM_WEBHOOK_ALLOWED_HOSTS`` parsed: host names, and addresses or CIDR ranges."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowedHosts:
        """Host names (``3pl.internal``), addresses (``10.0.0.5``) or ranges (``10.0.0.0/8``).

        Raises ``ValueError`` for a range that is not one (``10.0.0.0/33``)."""
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in (e.strip().lower().strip("[]") for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if "/" in entry:
                    raise ValueError(f"{entry!r} is not an address range (CIDR)") from None
                names.add(entry.rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def allows_name(self, host: str) -> bool:
        return host in self.names

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


@dataclass(frozen=True)
class WebhookPolicy:
    """What the process allows: the environment and the operator's allowances."""

    environment: Literal["development", "production"] = "development"
    allowed: AllowedHosts = field(default_factory=AllowedHosts)

    @classmethod
    def of(
        cls, environment: Literal["development", "production"], allowed: Iterable[str]
    ) -> WebhookPolicy:
        return cls(environment, AllowedHosts.parse(allowed))


def system_resolver(host: str) -> list[str]:
    """Every address ``host`` resolves to (blocking: call it off the event loop)."""
    # The address is a str for IPv4 and IPv6 alike (typeshed allows an int for other families).
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


def check_webhook_secret(secret: str | None, policy: WebhookPolicy) -> None:
    """Raise ``UnsignedWebhook`` for a missing secret outside development: a location
    could not tell Switchyard's requests from anyone else's."""
    if policy.environment != "development" and not (secret or "").strip():
        raise UnsignedWebhook(
            f"a webhook location needs a signing secret outside development (DOM_ENV="
            f"{policy.environment}); set adapter.secret and give it to the location"
        )


def needs_lookup(url: str, policy: WebhookPolicy) -> bool:
    """Whether judging ``url`` takes a DNS lookup (its host is a name nobody vouched for)."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return False
    return bool(host) and _literal_address(host) is None and not policy.allowed.allows_name(host)


def check_webhook_url(
    url: str, policy: WebhookPolicy, *, resolve: Resolver | None = system_resolver
) -> None:
    """Raise ``UnsafeWebhookUrl`` unless Switchyard may call ``url`` under ``policy``.

    ``resolve`` looks the host name up (``None``: judge the name alone); every address
    it gives must be allowed. A name that does not resolve passes: it may be set before
    its DNS record exists, and the call itself fails (and is retried) while it does not.
    Blocking when it resolves: call it off the event loop."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [IPv6 address, say
        raise UnsafeWebhookUrl("the webhook URL cannot be read; check its host part") from None
    url = _shown(url)  # messages never repeat a password written into the URL
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeWebhookUrl(f"{url!r}: a webhook URL must start with https://")
    if scheme == "http" and policy.environment != "development":
        raise UnsafeWebhookUrl(
            f"{url!r}: webhook URLs must use https outside development (DOM_ENV="
            f"{policy.environment}); give the location's https address"
        )
    try:
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        host = ""
    if not host:
        raise UnsafeWebhookUrl(f"{url!r}: the URL names no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeWebhookUrl(
            f"{url!r}: credentials in a webhook URL would be sent and logged in clear; "
            "sign requests with the location's secret instead"
        )
    try:
        _judge_host(url, host, policy, resolve)
    except OSError:
        return


def addresses_to_call(
    host: str, policy: WebhookPolicy, *, resolve: Resolver = system_resolver
) -> list[str]:
    """Where a connection to ``host`` may go, for the connection itself to use: the host
    as given when the operator allowed it by name or it is a literal address (checked),
    else its resolved addresses, every one of them checked (``UnsafeWebhookUrl``).

    Connecting to exactly these (not resolving again) is what keeps a name from pointing
    somewhere else between the check and the call (DNS rebinding). Blocking: call it off
    the event loop. ``OSError`` when the name does not resolve."""
    host = host.rstrip(".")
    # The messages name the host (the URL was judged before the call).
    return _judge_host(host, host, policy, resolve)


def _judge_host(
    shown: str, host: str, policy: WebhookPolicy, resolve: Resolver | None
) -> list[str]:
    """The addresses a connection to ``host`` may use (``[host]`` when it is allowed by
    name or is a literal address), or ``UnsafeWebhookUrl`` naming ``shown``. ``resolve``
    None: the name alone is judged. ``OSError`` when the name does not resolve."""
    if policy.allowed.allows_name(host):
        return [host]
    address = _literal_address(host)
    if address is not None:
        _check_address(shown, host, address, policy.allowed)
        return [host]
    if host in METADATA_HOSTS or host == "localhost" or host.endswith(".localhost"):
        raise UnsafeWebhookUrl(_refusal(shown, repr(host), "a loopback or metadata host name"))
    try:  # what a DNS lookup would do with the name first (an empty or over-long label)
        host.encode("idna")
    except UnicodeError:
        raise UnsafeWebhookUrl(
            f"{shown!r}: {host!r} is not a host name DNS can look up (an empty label, one "
            "over 63 characters, or a character no host name may hold)"
        ) from None
    if resolve is None:
        return [host]
    found = [text.split("%", 1)[0] for text in resolve(host)]
    for text in found:
        _check_address(shown, host, ipaddress.ip_address(text), policy.allowed)
    return found


def _shown(url: str) -> str:
    """``url`` without the ``user:password@`` part, for messages and logs."""
    parts = urlsplit(url)  # the caller has read it once already
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _check_address(url: str, host: str, address: IPAddress, allowed: AllowedHosts) -> None:
    if allowed.allows_address(address):
        return
    via = f"{address}" if host == str(address) else f"{host!r}, which resolves to {address}"
    if isinstance(address, ipaddress.IPv6Address):
        if address in NAT64_LOCAL:
            raise UnsafeWebhookUrl(_refusal(url, via, "a local-use NAT64 address"))
        # An IPv6 form that carries an IPv4 address reaches it: judged by that address,
        # and (6to4, Teredo, ISATAP, which are routed as IPv6 too) by its own.
        embedded = embedded_ipv4(address)
        for form, inner in embedded:
            if allowed.allows_address(inner):
                continue
            kind = _forbidden_kind(inner)
            if kind is not None:
                raise UnsafeWebhookUrl(_refusal(url, f"{via} ({form} of {inner})", kind))
        if embedded and embedded[0][0] in TRANSLATED_FORMS:
            return
    kind = _forbidden_kind(address)
    if kind is not None:
        raise UnsafeWebhookUrl(_refusal(url, via, kind))


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
"""RFC 6052's well-known NAT64 prefix: the IPv4 address is the last 32 bits."""
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
"""RFC 8215's local-use NAT64 prefix: where the IPv4 address sits depends on the
operator's prefix length, so it is refused whole (it is not public either way)."""
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
ISATAP_IDS = (0x00005EFE, 0x02005EFE)
TRANSLATED_FORMS = ("IPv4-mapped", "IPv4-compatible", "NAT64")
"""Forms that are only a way of writing the IPv4 address: judged by it alone."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with its form's name:
    IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64
    ``64:ff9b::a.b.c.d``, 6to4 ``2002:AABB:CCDD::``, Teredo ``2001::/32`` (server and
    client, the client's bits inverted) and ISATAP ``...:0:5efe:a.b.c.d``."""
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return [("IPv4-mapped", address.ipv4_mapped)]
    if address in NAT64:
        return [("NAT64", low32)]
    if address in IPV4_COMPATIBLE and int(address) > 1:  # not :: nor ::1
        return [("IPv4-compatible", low32)]
    if address.sixtofour is not None:
        return [("6to4", address.sixtofour)]
    if address.teredo is not None:
        server, client = address.teredo
        return [("Teredo", client), ("Teredo", server)]
    if (int(address) >> 32) & 0xFFFFFFFF in ISATAP_IDS:
        return [("ISATAP", low32)]
    return []


def _forbidden_kind(address: IPAddress) -> str | None:
    """Why Switchyard will not call ``address``, or None if it may."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def _refusal(url: str, what: str, kind: str) -> str:
    return (
        f"{url!r}: {what} is {kind}; Switchyard only calls public hosts. If this location "
        "really is inside your network, add its host name, address or range to "
        "DOM_WEBHOOK_ALLOWED_HOSTS"
    )


async def check_webhook_url_now(
    url: str, policy: WebhookPolicy, *, resolve: Resolver = system_resolver
) -> None:
    """``check_webhook_url`` from async code: the DNS lookup, when one is needed, off the
    event loop."""
    if needs_lookup(url, policy):
        await asyncio.to_thread(check_webhook_url, url, policy, resolve=resolve)
    else:
        check_webhook_url(url, policy, resolve=None)


def network_webhook_problems(
    network: Network, policy: WebhookPolicy, *, resolve: Resolver | None = system_resolver
) -> list[str]:
    """What is wrong with the network's webhook locations, each naming its field
    (``locations[2].adapter.url (SLC-3PL): ...``); empty when all may be called."""
    problems: list[str] = []
    for index, location in enumerate(network.locations):
        adapter = location.adapter
        if adapter.type != "webhook":
            continue
        where = f"locations[{index}].adapter"
        try:
            check_webhook_url(adapter.url, policy, resolve=resolve)
        except UnsafeWebhookUrl as exc:
            problems.append(f"{where}.url ({location.id}): {exc}")
        try:
            check_webhook_secret(adapter.secret, policy)
        except UnsignedWebhook as exc:
            problems.append(f"{where}.secret ({location.id}): {exc}")
    return problems
