"""Who may do what: roles, the rights they grant, and API tokens (no HTTP, no SQL here).

Six roles, five from the issue that introduced them: ``checkout`` places orders and asks for
delivery promises; ``location`` works one location's queue and stock (and sees nothing
of any other location: another location's work answers 404, as if it did not exist);
``support`` reads orders and inventory and may cancel an order; ``ops`` does what support
does plus reroutes, stock adjustments, locations and routing rules; ``admin`` does
everything, tokens included. ``metrics`` reads ``GET /metrics`` and nothing else: the
token a Prometheus server holds, which may not read an order or move a unit.

A token is 256 random bits, shown once; only its SHA-256 digest is kept. An unsalted
digest is enough here (unlike for passwords): the secret is random and as long as the
digest, so there is no list of likely tokens to try against a stolen table.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import DomainError, UnknownLocation

TOKEN_PREFIX = "sy_"
# 32 random bytes, URL-safe base64 without padding: 43 characters.
_TOKEN_SHAPE = re.compile(r"^sy_[A-Za-z0-9_-]{43}$")
TOKEN_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}$"
_TOKEN_NAME = re.compile(TOKEN_NAME_PATTERN)


class Role(StrEnum):
    CHECKOUT = "checkout"
    LOCATION = "location"
    SUPPORT = "support"
    OPS = "ops"
    ADMIN = "admin"
    METRICS = "metrics"


class Right(StrEnum):
    """One thing a caller may do. Routes ask for a right, never for a role."""

    PLACE_ORDERS = "orders:place"
    PROMISE = "promise"
    READ_ORDERS = "orders:read"
    CANCEL_ORDERS = "orders:cancel"
    REROUTE_ORDERS = "orders:reroute"  # and release the stock a dead order still holds
    HOLD_ORDERS = "orders:hold"  # place and release holds
    READ_INVENTORY = "inventory:read"  # the network's stock by SKU
    READ_STOCK = "stock:read"  # one location's balances and ledger
    COUNT_STOCK = "stock:count"  # counts, bulk syncs and receipts at one location
    ADJUST_STOCK = "stock:adjust"
    READ_QUEUE = "queue:read"  # a location's open fulfillments
    REPORT_EVENTS = "fulfillments:report"  # accepted, picked, packed, shipped...
    READ_LOCATIONS = "locations:read"
    MANAGE_LOCATIONS = "locations:manage"
    READ_RULES = "rules:read"
    MANAGE_RULES = "rules:manage"
    MANAGE_CATALOGUE = "catalogue:manage"  # add SKUs, name them
    DECODE_PAYLOADS = "payloads:decode"  # the Temporal UI's codec endpoint
    MANAGE_TOKENS = "tokens:manage"
    MANAGE_SUBSCRIPTIONS = "subscriptions:manage"  # where order events go, and their fate
    READ_METRICS = "metrics:read"  # GET /metrics: counts and timings, no order's data
    ERASE_CUSTOMERS = "customers:erase"  # forget a customer's personal data for good
    AUTHORIZE_RETURNS = "returns:authorize"  # let a customer send shipped lines back
    READ_RETURNS = "returns:read"  # a return (a location: only those coming to it)


_SUPPORT = frozenset(
    {
        Right.READ_ORDERS,
        Right.CANCEL_ORDERS,
        Right.HOLD_ORDERS,
        Right.READ_INVENTORY,
        Right.READ_STOCK,
        Right.READ_QUEUE,
        Right.READ_LOCATIONS,
        Right.READ_RULES,
        Right.DECODE_PAYLOADS,
        Right.AUTHORIZE_RETURNS,
        Right.READ_RETURNS,
    }
)
_OPS = _SUPPORT | {
    Right.REROUTE_ORDERS,
    Right.ADJUST_STOCK,
    Right.COUNT_STOCK,
    Right.REPORT_EVENTS,  # an operator may enter a store's event for it
    Right.MANAGE_LOCATIONS,
    Right.MANAGE_RULES,
    Right.MANAGE_CATALOGUE,
    Right.MANAGE_SUBSCRIPTIONS,
    Right.READ_METRICS,
}
RIGHTS: dict[Role, frozenset[Right]] = {
    Role.CHECKOUT: frozenset({Right.PLACE_ORDERS, Right.PROMISE}),
    # Only ever at its own location: see ``Principal.may``.
    Role.LOCATION: frozenset(
        {
            Right.READ_QUEUE,
            Right.REPORT_EVENTS,
            Right.READ_STOCK,
            Right.COUNT_STOCK,
            Right.READ_LOCATIONS,
            Right.READ_RETURNS,
        }
    ),
    Role.SUPPORT: _SUPPORT,
    Role.OPS: frozenset(_OPS),
    Role.ADMIN: frozenset(Right),
    Role.METRICS: frozenset({Right.READ_METRICS}),
}


class NotAuthenticated(DomainError):
    """No token, or one that is unknown, expired or revoked (HTTP 401)."""


class NotAllowed(DomainError):
    """A known caller whose role does not grant the right (HTTP 403)."""


class InvalidToken(DomainError):
    """A token request that cannot be honoured: a bad name, role or location binding."""


@dataclass(frozen=True)
class Principal:
    """The caller a token stands for."""

    name: str
    role: Role
    location_id: str | None = None

    @property
    def actor(self) -> str:
        """How timelines, the ledger and settings history name this caller."""
        return f"{self.role.value}:{self.name}"

    def may(self, right: Right) -> bool:
        """The role grants ``right`` somewhere (for a location: at its own location)."""
        return right in RIGHTS[self.role]

    def sees(self, location_id: str) -> bool:
        """Whether ``location_id``'s work and stock exist for this caller."""
        return self.role is not Role.LOCATION or location_id == self.location_id

    def check(self, right: Right, location_id: str | None = None) -> None:
        """Raise ``NotAllowed`` (403) or ``UnknownLocation`` (404) unless the caller may.

        ``location_id``: the location the call is about, if any. A location's token may
        only act where it is bound; a right that is not about one location is never a
        location's."""
        if not self.may(right):
            raise NotAllowed(f"the {self.role.value} role may not do this ({right.value})")
        if self.role is Role.LOCATION:
            if location_id is None:
                raise NotAllowed(f"a location's token may not do this ({right.value})")
            if location_id != self.location_id:
                # Exactly what an unknown location answers: another's work does not exist.
                raise UnknownLocation(f"unknown location {location_id!r}")


@dataclass(frozen=True)
class TokenGrant:
    """What a new token is for; validated before anything is stored."""

    name: str
    role: Role
    location_id: str | None = None
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if not _TOKEN_NAME.match(self.name):
            raise InvalidToken(
                f"token name {self.name!r}: 1 to 64 letters, digits and . _ @ : - "
                "(starting with a letter or digit)"
            )
        if (self.role is Role.LOCATION) != (self.location_id is not None):
            raise InvalidToken("a location token needs --location, and only it takes one")

    @property
    def principal(self) -> Principal:
        return Principal(self.name, self.role, self.location_id)


def new_token() -> str:
    """A fresh secret: ``sy_`` and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What is stored for ``token`` (hex SHA-256); the token itself is never kept."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    """Shaped like one of ours (cheap pre-check, so junk never reaches the database)."""
    return bool(_TOKEN_SHAPE.match(token))


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(given.encode(), expected.encode())


def parse_lifetime(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m`` or ``2w`` as a duration (for ``--expires``)."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*([mhdw])\s*", text)
    if not match:
        raise InvalidToken(f"expiry {text!r}: a number and m, h, d or w, such as 30d")
    amount, unit = int(match[1]), match[2]
    if amount == 0:
        raise InvalidToken("expiry must be longer than zero")
    return {
        "m": timedelta(minutes=amount),
        "h": timedelta(hours=amount),
        "d": timedelta(days=amount),
        "w": timedelta(weeks=amount),
    }[unit]
