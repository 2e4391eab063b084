"""A return's status and its one-line summary: what an order's view lists of its returns
(apart from ``domain/returns.py`` so the order's view can name them without a circle)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from domain.money import DEFAULT_CURRENCY


class ReturnStatus(StrEnum):
    AUTHORIZED = "authorized"  # the customer may send it; the location waits for it
    RECEIVED = "received"  # the location opened the parcel: units restocked or written off
    CLOSED = "closed"  # received and told to subscribers: nothing more will happen
    EXPIRED = "expired"  # nothing came back in time


class Condition(StrEnum):
    SELLABLE = "sellable"  # back on hand at the return location
    DAMAGED = "damaged"  # recorded, never restocked


class ReturnSummary(BaseModel):
    """One return of an order, as ``GET /orders/{id}`` lists it."""

    return_id: str
    status: ReturnStatus
    location_id: str
    refund_due: Decimal | None = None
    currency: str = DEFAULT_CURRENCY
