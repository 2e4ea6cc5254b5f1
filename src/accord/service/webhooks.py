"""Webhook endpoints: where they may point, and their secrets kept sealed.

A webhook makes Accord's workers send requests, so its address is a way into the network the
workers run in (server-side request forgery). Only public addresses are reached: loopback,
private, link-local, unique-local, multicast, unspecified, reserved and shared addresses, and
the cloud metadata endpoints, are refused, unless ``ACCORD_WEBHOOK_ALLOW_HOSTS`` names the host
or a network holding the address (an on-premises receiver). The check is made when a webhook
is registered (its host an address, or a name resolving to one) and again at every delivery,
after resolving the name: the request then goes to the very address checked (with the name in
the ``Host`` header and TLS's SNI, and the certificate checked against the name), so a name
that resolves elsewhere by the time of delivery (DNS rebinding) is refused, not followed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import httpx
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.errors import AccordError
from accord.service.errors import InvalidError, UnavailableError
from accord.service.tenants import Principal, now
from accord.settings import Settings
from accord.store.schema import Webhook
from accord.store.sealing import SecretBox, SecretKeyError, secret_box

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class WebhookAddressError(AccordError):
    """A webhook address that its policy refuses, with the reason."""


class UnresolvedHostError(WebhookAddressError):
    """A webhook host name that resolves to no address (now)."""


def refusal(address: Address) -> str | None:
    """Why a request may not go to ``address`` (None for a public address).

    IPv6 forms that carry an IPv4 address (mapped, 6to4, NAT64, Teredo) are judged by it."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is None and address.teredo is not None:
            inner = address.teredo[1]
        if inner is not None:
            found = refusal(inner)
            return None if found is None else f"{found} (inside {address})"
    for reason, applies in (
        ("a cloud metadata address", address in METADATA),
        ("a loopback address", address.is_loopback),
        ("an unspecified address", address.is_unspecified),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("a private address", address.is_private),
        ("a reserved address", address.is_reserved),
        ("not a public address", not address.is_global),
    ):
        if applies:
            return reason
    return None


Resolver = Callable[[str, int], list[Address]]


def resolve(host: str, port: int) -> list[Address]:
    """The addresses a name resolves to, in the resolver's order (no duplicates)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    return list(dict.fromkeys(addresses))


@dataclass(frozen=True)
class AddressPolicy:
    """Which webhook hosts may be reached: public addresses, plus those allowed by name or
    network (``ACCORD_WEBHOOK_ALLOW_HOSTS``)."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, setting: str) -> AddressPolicy:
        names, networks = set(), []
        for entry in (part.strip() for part in setting.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(entry.lower().rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def allows(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def addresses(self, url: str, resolver: Resolver | None = None) -> list[Address]:
        """The addresses a request to ``url`` may go to (the first is used); WebhookAddressError if
        its host resolves to none, or to any address the policy refuses."""
        parsed = httpx.URL(url)
        host = parsed.host.lower().rstrip(".")
        if not host:
            raise WebhookAddressError(f"{url}: no host")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        addresses = _literal(host)
        if not addresses:
            try:
                addresses = (resolver or resolve)(host, port)
            except (OSError, UnicodeError) as error:
                raise UnresolvedHostError(f"{host} does not resolve ({error})") from None
            if not addresses:
                raise UnresolvedHostError(f"{host} does not resolve")
            if host in self.names:
                return addresses
        for address in addresses:
            reason = refusal(address)
            if reason is not None and not self.allows(address):
                named = host if host == str(address) else f"{host} resolves to {address}, which"
                raise WebhookAddressError(
                    f"{named} is {reason}: webhooks reach public addresses only, unless "
                    "ACCORD_WEBHOOK_ALLOW_HOSTS names the host or its network (for a receiver "
                    "on premises)"
                )
        return addresses


def _literal(host: str) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        return []


@lru_cache(maxsize=16)
def _policy(setting: str) -> AddressPolicy:
    return AddressPolicy.parse(setting)


def policy_of(settings: Settings) -> AddressPolicy:
    return _policy(settings.webhook_allow_hosts)


@lru_cache(maxsize=16)
def _box(keys: str | None, key_file: Path) -> SecretBox:
    return secret_box(keys, key_file)


def _text(keys: object) -> str | None:
    """The keys as text (a ``SecretStr`` once validated, a ``str`` set by ``model_copy``)."""
    return (
        keys.get_secret_value()
        if isinstance(keys, SecretStr)
        else keys
        if isinstance(keys, str)
        else None
    )


def box_of(settings: Settings) -> SecretBox:
    """The keys that seal webhook secrets under these settings (one box per configuration)."""
    return _box(_text(settings.secret_keys), settings.secret_key_file)


def register(
    session: Session, principal: Principal, url: str, secret: str, settings: Settings
) -> Webhook:
    """A new webhook of the principal's organisation, its secret sealed; InvalidError (422,
    field ``url``) when its host is an address the policy refuses, or a name resolving to one
    (a name that does not resolve yet is taken: deliveries check it)."""
    principal.require("admin")
    if principal.customer is not None:
        raise InvalidError("a customer's key cannot register webhooks")
    try:
        policy_of(settings).addresses(url)
    except UnresolvedHostError:
        pass  # perhaps not yet in the DNS: every delivery checks the address it resolves to
    except WebhookAddressError as error:
        raise InvalidError(f"url: {error}", "url") from None
    try:
        sealed = box_of(settings).seal(secret)
    except SecretKeyError as error:
        raise UnavailableError(f"webhook secrets cannot be sealed: {error}") from None
    hook = Webhook(
        organisation_id=principal.organisation_id,
        url=url,
        sealed_secret=sealed,
        created_at=now(),
    )
    session.add(hook)
    session.flush()
    return hook


def reseal(session: Session, box: SecretBox) -> int:
    """Seal every webhook secret again with the box's first key (after a new key was put first,
    so that the old ones can be dropped); returns how many."""
    hooks = session.scalars(select(Webhook).order_by(Webhook.id).with_for_update()).all()
    for hook in hooks:
        hook.sealed_secret = box.reseal(hook.sealed_secret)
    return len(hooks)


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the URL with its host replaced by the checked address, and
    the name to present in ``Host`` and TLS."""

    url: httpx.URL
    host: str
    extensions: dict[str, str]


def target(url: str, policy: AddressPolicy, resolver: Resolver | None = None) -> Target:
    """The checked address of ``url`` now (see the module's docstring); WebhookAddressError."""
    parsed = httpx.URL(url)
    address = policy.addresses(url, resolver)[0]
    host_header = parsed.host if parsed.port is None else f"{parsed.host}:{parsed.port}"
    if ":" in parsed.host and parsed.port is not None:
        host_header = f"[{parsed.host}]:{parsed.port}"
    elif ":" in parsed.host:
        host_header = f"[{parsed.host}]"
    extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
    return Target(parsed.copy_with(host=str(address)), host_header, extensions)
