"""A customer's personal data, kept apart from the order so it can be forgotten.

An order placed since per-customer keys came in carries no name, e-mail, phone or street
in clear anywhere Temporal or the store keeps it: the edge splits the order in two. What
routing and the books need (lines, the ZIP, a point rounded to about a kilometre) stays
in clear; who the customer is and exactly where the parcel goes is ``Personal``, sealed
under the customer's own key into a ``SealedPersonal`` that travels with the order.
Readers that must show or send it (the API, the console, the location a package goes to,
event subscribers) open it; once the customer is erased their key is gone, nothing opens
it any more, and the order reads "customer erased" with its lines, statuses and money.

Plain pydantic: no keys and no crypto here (``adapters/personal_keys.py`` has those).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from domain.models import Contact, Destination

# Kept-in-clear coordinates are rounded to this many decimals (0.01 degree of latitude is
# 1.1 km): close enough to route by, far from a house.
CLEAR_POINT_DECIMALS = 2


class Personal(BaseModel):
    """What a customer's key seals for one order."""

    customer: Contact
    recipient: str | None = Field(default=None, max_length=200)  # the ship-to name
    address1: str | None = Field(default=None, max_length=200)
    address2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    lat: float | None = None  # the point as checkout gave (or the ZIP table located) it
    lon: float | None = None


class SealedPersonal(BaseModel):
    """``Personal`` sealed under one customer's key: only that key (while it exists) opens it."""

    key_id: str = Field(max_length=64, description="The customer's key, by id")
    data: str = Field(max_length=8192, description="Nonce and ciphertext, base64")


def personal_of(customer: Contact, ship_to: Destination) -> Personal:
    """The personal part of an order's customer and destination."""
    return Personal(
        customer=customer,
        recipient=ship_to.name,
        address1=ship_to.address1,
        address2=ship_to.address2,
        city=ship_to.city,
        region=ship_to.region,
        lat=ship_to.lat,
        lon=ship_to.lon,
    )


def impersonal(ship_to: Destination) -> Destination:
    """The destination with nothing personal left: its ZIP, its country, and its point
    rounded to about a kilometre (what routing needs)."""
    point = ship_to.point
    return Destination(
        postal_code=ship_to.postal_code,
        country=ship_to.country,
        lat=round(point.lat, CLEAR_POINT_DECIMALS),
        lon=round(point.lon, CLEAR_POINT_DECIMALS),
    )


def rejoined(ship_to: Destination, personal: Personal) -> Destination:
    """The whole destination again: the clear part with the personal part put back."""
    return ship_to.model_copy(
        update={
            "name": personal.recipient,
            "address1": personal.address1,
            "address2": personal.address2,
            "city": personal.city,
            "region": personal.region,
            "lat": personal.lat if personal.lat is not None else ship_to.lat,
            "lon": personal.lon if personal.lon is not None else ship_to.lon,
        }
    )


# --- finding a customer by part of their name or e-mail ------------------------------------

# The length of the pieces a name or e-mail is indexed by: a search needs at least this
# many characters.
TERM_LENGTH = 3


def normalized_text(text: str) -> str:
    """Lower case, runs of white space as one space, trimmed: what searches compare."""
    return " ".join(text.lower().split())


def search_terms(text: str) -> set[str]:
    """Every ``TERM_LENGTH``-character piece of the normalized text (none if shorter)."""
    plain = normalized_text(text)
    return {plain[i : i + TERM_LENGTH] for i in range(len(plain) - TERM_LENGTH + 1)}


def matches(personal: Personal, query: str) -> bool:
    """Whether ``query`` is part of the customer's name or e-mail (the ship-to name too)."""
    wanted = normalized_text(query)
    names = (personal.customer.name, personal.customer.email, personal.recipient or "")
    return any(wanted in normalized_text(name) for name in names)
