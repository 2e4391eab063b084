"""Errors the inventory store raises besides the domain's own (``OutOfStock``, ``UnknownSku``...).

They subclass ``DomainError`` so the API and the activities treat them like any other
business rule that said no (a 409 at the edge, a non-retryable ``ApplicationError``).
"""

from __future__ import annotations

from domain.errors import DomainError


class WouldUnderflow(DomainError):
    """A stock movement would take ``on_hand`` below zero or below the units reserved."""

    def __init__(
        self, message: str, location_id: str, sku: str, on_hand: int, reserved: int
    ) -> None:
        super().__init__(message)
        self.location_id = location_id
        self.sku = sku
        self.on_hand = on_hand
        self.reserved = reserved


class InvalidQuantity(DomainError):
    """A quantity that makes no sense for the movement (a receipt of zero, a negative count)."""


class AllocationKeyReused(DomainError):
    """An allocation key already used by another order: keys must be unique per order."""


class ReservationConflict(DomainError):
    """A plan would reserve a (order, fulfillment, SKU) that already holds an open or shipped
    reservation under another allocation; fulfillment ids must not be reused while open."""


class StoreUnavailable(Exception):
    """The database cannot serve now: refused or lost connection, a restart, a full pool.

    Not a business rule (hence not a ``DomainError``): the same call may succeed later, so
    activities retry it and the API answers 503 with ``Retry-After``."""
