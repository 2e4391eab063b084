"""What the store hands back and takes in: frozen value objects, free of any session
(each ``of(row)`` copies a table row into one)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from domain.access import Role

if TYPE_CHECKING:
    from adapters.store.tables import LedgerEntryRow, ReservationRow, StockRow


class ReservationStatus(StrEnum):
    OPEN = "open"
    COMMITTED = "committed"
    RELEASED = "released"


class MovementKind(StrEnum):
    """Why a ledger row moved stock."""

    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    COUNT = "count"
    RESERVE = "reserve"
    RELEASE = "release"
    SHIP = "ship"
    RETURN = "return"  # a customer's sellable units back on hand (reference: the return id)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class StockBalance(_Frozen):
    """One location's figures for one SKU. ``available`` ignores safety stock (a routing rule)."""

    location_id: str
    sku: str
    on_hand: int
    reserved: int

    @classmethod
    def of(cls, row: StockRow) -> StockBalance:
        return cls(
            location_id=row.location_id, sku=row.sku, on_hand=row.on_hand, reserved=row.reserved
        )

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved, 0)


class PackageReservation(_Frozen):
    """One package of a routing plan to reserve: units per SKU at one location.

    ``safety_stock`` is what the routing rules keep back at that location per SKU; the
    reservation only succeeds if ``on_hand - reserved - safety_stock >= units``.
    """

    fulfillment_id: str
    location_id: str
    lines: dict[str, int]
    safety_stock: dict[str, int] = Field(default_factory=dict)


class ReservationView(_Frozen):
    order_id: str
    fulfillment_id: str
    sku: str
    location_id: str
    quantity: int
    status: ReservationStatus
    allocation_key: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ReservationRow) -> ReservationView:
        return cls(
            order_id=row.order_id,
            fulfillment_id=row.fulfillment_id,
            sku=row.sku,
            location_id=row.location_id,
            quantity=row.quantity,
            status=ReservationStatus(row.status),
            allocation_key=row.allocation_key,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class LedgerRow(_Frozen):
    """One movement: deltas on ``on_hand`` and ``reserved``, and who did it and why."""

    id: int
    at: datetime
    kind: MovementKind
    location_id: str
    sku: str
    on_hand_delta: int
    reserved_delta: int
    reason: str
    reference: str | None
    actor: str

    @classmethod
    def of(cls, row: LedgerEntryRow) -> LedgerRow:
        assert row.id is not None  # a row read back from the table has its id
        return cls(
            id=row.id,
            at=row.at,
            kind=MovementKind(row.kind),
            location_id=row.location_id,
            sku=row.sku,
            on_hand_delta=row.on_hand_delta,
            reserved_delta=row.reserved_delta,
            reason=row.reason,
            reference=row.reference,
            actor=row.actor,
        )


class LocationChange(_Frozen):
    """One change to a location's settings: the fields set (as they then read), by whom."""

    at: datetime
    actor: str
    changes: dict[str, object]


class CustomerKeyRecord(_Frozen):
    """A customer's data key as the store keeps it: wrapped by the payload key ring."""

    key_id: str
    customer_ref: str
    wrapped: str = Field(repr=False)


class TokenRecord(_Frozen):
    """An issued API token as the store knows it: never the token, only its digest."""

    name: str
    role: Role
    location_id: str | None = None
    token_digest: str = Field(exclude=True)
    created_at: datetime
    created_by: str
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
