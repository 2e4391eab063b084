"""Holds: an order kept from its locations until a person says go (a payment pending, a
fraud review, an address to check), its units reserved all the while.

Plain pydantic, lenient (these shapes travel in workflow histories); the API's strict
body is ``domain.checkout.HoldBody``. The rules here are the order workflow's: which
holds are active, what a new hold would keep back, when one runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

MAX_NOTE = 500
MAX_HOLD_HOURS = 720  # 30 days: a payment or a review that takes longer is a cancel


class HoldReason(StrEnum):
    """Why an order waits (Shopify's fulfillment-hold reasons, less ``inventory``: an
    order waiting for stock is ``backordered``)."""

    PAYMENT_PENDING = "payment_pending"
    FRAUD_REVIEW = "fraud_review"
    ADDRESS_CHECK = "address_check"
    CUSTOMER_REQUEST = "customer_request"
    OTHER = "other"


class HoldTerms(BaseModel):
    """What a hold says: why, a note for the next person, and when it runs out (None:
    never; the order then waits until it is released or cancelled)."""

    reason: HoldReason
    note: str | None = Field(default=None, max_length=MAX_NOTE)
    expires_in_hours: int | None = Field(default=None, ge=1, le=MAX_HOLD_HOURS)


class Hold(BaseModel):
    """An active hold, as the order view lists it."""

    reason: HoldReason
    note: str | None = None
    actor: str
    since: datetime
    expires_at: datetime | None = None

    @property
    def lasted(self) -> str:
        """How long it was given, in words (``24 h``), for the timeline of an expiry."""
        if self.expires_at is None:
            return "ever"
        return hours_text(self.expires_at - self.since)


class HoldRequest(HoldTerms):
    """``POST /orders/{id}/hold`` as the order workflow takes it."""

    actor: str = "support"


class HoldRelease(BaseModel):
    """``POST /orders/{id}/release-hold`` as the order workflow takes it."""

    reason: HoldReason
    actor: str = "support"


def hold_from(terms: HoldTerms, *, actor: str, now: datetime) -> Hold:
    """The hold ``terms`` describe, placed by ``actor`` at ``now``."""
    expires = now + timedelta(hours=terms.expires_in_hours) if terms.expires_in_hours else None
    return Hold(
        reason=terms.reason, note=terms.note or None, actor=actor, since=now, expires_at=expires
    )


def next_expiry(holds: list[Hold]) -> datetime | None:
    """When the first of ``holds`` runs out (None: none of them does)."""
    ends = [h.expires_at for h in holds if h.expires_at is not None]
    return min(ends) if ends else None


def expired(holds: list[Hold], now: datetime) -> Hold | None:
    """The first hold that has run out by ``now``, if any."""
    due = [h for h in holds if h.expires_at is not None and h.expires_at <= now]
    return min(due, key=lambda h: h.expires_at or now) if due else None


def hours_text(span: timedelta) -> str:
    """``24 h``, ``1.5 h``: a hold's length as people state it."""
    hours = span.total_seconds() / 3600
    return f"{hours:g} h"
