"""The store's tables (SQLModel). The Alembic revisions in ``migrations/`` create them;
a test checks that the two never drift apart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

# The store's own metadata, so tables other parts of Switchyard may declare on
# ``SQLModel.metadata`` never leak into these migrations (and the other way round).
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class StoreModel(SQLModel, registry=registry(metadata=metadata)):
    """Base of the store's tables."""


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no offset of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts() -> Any:
    return Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class SkuRow(StoreModel, table=True):
    __tablename__ = "skus"

    sku: str = Field(primary_key=True, max_length=64)
    weight_lb: float
    name: str | None = Field(default=None)
    image_url: str | None = Field(default=None, max_length=500)
    position: int = Field(default=0, description="order in the network file")


class LocationRow(StoreModel, table=True):
    """Every field of ``domain.models.Location`` except stock (which lives in ``stock_levels``)."""

    __tablename__ = "locations"

    id: str = Field(primary_key=True, max_length=64)
    name: str
    kind: str = Field(max_length=16)
    postal_code: str | None = Field(default=None, max_length=16)
    lat: float | None = None
    lon: float | None = None
    adapter: dict[str, Any] = Field(sa_type=sa.JSON, nullable=False)
    handling_cost: float | None = None
    safety_stock: int | None = None
    daily_capacity: int | None = None
    priority: int | None = None
    active: bool = True
    pickup: bool = False
    returns: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    sla: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    position: int = Field(default=0, description="order in the network file")
    cutoff: str | None = Field(default=None, max_length=8, description="local time, 15:00:00")
    timezone: str | None = Field(default=None, max_length=64, description="IANA name")


class StockRow(StoreModel, table=True):
    """The balance of one SKU at one location; the ledger explains every unit of it."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        sa.CheckConstraint("on_hand >= reserved", name="reserved_within_on_hand"),
    )

    location_id: str = Field(primary_key=True, foreign_key="locations.id", max_length=64)
    sku: str = Field(primary_key=True, foreign_key="skus.sku", max_length=64)
    on_hand: int = 0
    reserved: int = 0
    updated_at: datetime = _ts()


class ReservationRow(StoreModel, table=True):
    __tablename__ = "reservations"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "fulfillment_id", "sku"),
        sa.Index(None, "location_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(max_length=64, index=True)
    fulfillment_id: str = Field(max_length=64)
    sku: str = Field(max_length=64)
    location_id: str = Field(max_length=64)
    quantity: int
    status: str = Field(max_length=16, index=True)
    allocation_key: str | None = Field(default=None, max_length=200)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class LedgerEntryRow(StoreModel, table=True):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "ledger"
    # A balance's movements (location, SKU), and a location's by time (its latest
    # movements and what it shipped today, on the console).
    __table_args__ = (
        sa.Index(None, "location_id", "sku", "id"),
        sa.Index(None, "location_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts()
    kind: str = Field(max_length=16)
    location_id: str = Field(max_length=64)
    sku: str = Field(max_length=64)
    on_hand_delta: int = 0
    reserved_delta: int = 0
    reason: str = ""
    reference: str | None = Field(default=None, max_length=200)
    actor: str = Field(default="system", max_length=200)


class AllocationRow(StoreModel, table=True):
    """The first answer to an allocation; a retry with the same key gets it back."""

    __tablename__ = "allocations"

    allocation_key: str = Field(primary_key=True, max_length=200)
    order_id: str = Field(max_length=64, index=True)
    decision_json: str = Field(sa_type=sa.Text)
    created_at: datetime = _ts()


class MetaRow(StoreModel, table=True):
    """Small key/value facts: network policy and the network version counter (JSON values)."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_type=sa.Text)


class ShortfallRow(StoreModel, table=True):
    """A short pick already applied to the books; its key makes a retried report harmless."""

    __tablename__ = "shortfalls"

    key: str = Field(primary_key=True, max_length=200)
    order_id: str = Field(max_length=64, index=True)
    fulfillment_id: str = Field(max_length=64)
    location_id: str = Field(max_length=64)
    missing: dict[str, int] = Field(sa_type=sa.JSON, nullable=False)
    actor: str = Field(default="system", max_length=200)
    at: datetime = _ts()


class BackorderRow(StoreModel, table=True):
    """An order waiting for a SKU (one row per SKU), so a receipt or count can wake it."""

    __tablename__ = "backorders"
    __table_args__ = (sa.Index(None, "sku", "since"),)

    order_id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(primary_key=True, max_length=64)
    since: datetime = _ts()


class ApiTokenRow(StoreModel, table=True):
    """An API token: only its digest is kept. A name is unique among live tokens, so a
    revoked name can be issued again (rotation) while its old row stays as history."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        sa.Index(
            None,
            "name",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    location_id: str | None = Field(default=None, max_length=64)
    token_digest: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts()
    created_by: str = Field(default="system", max_length=200)
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class LocationChangeRow(StoreModel, table=True):
    """Append-only: who changed a location's settings, when, and to what."""

    __tablename__ = "location_changes"
    __table_args__ = (sa.Index(None, "location_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    location_id: str = Field(max_length=64)
    at: datetime = _ts()
    actor: str = Field(max_length=200)
    changes: dict[str, Any] = Field(sa_type=sa.JSON, nullable=False)


class SubscriptionRow(StoreModel, table=True):
    """A subscriber to order events: where to send them, the secret that signs them, and
    which types. Deleting one keeps the row (its deliveries stay readable)."""

    __tablename__ = "subscriptions"

    id: str = Field(primary_key=True, max_length=64)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200)
    event_types: list[str] = Field(sa_type=sa.JSON, nullable=False)
    created_at: datetime = _ts()
    created_by: str = Field(max_length=200)
    deleted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class DeliveryRow(StoreModel, table=True):
    """One event for one subscriber: its attempts, its outcome, the last error."""

    __tablename__ = "event_deliveries"
    __table_args__ = (
        sa.Index(None, "subscription_id", "id"),
        sa.UniqueConstraint("subscription_id", "event_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: str = Field(max_length=64)
    event_id: str = Field(max_length=100)
    event_type: str = Field(max_length=64)
    order_id: str = Field(max_length=64)
    status: str = Field(max_length=16)  # pending | delivered | failed
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts()
    delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class CustomerKeyRow(StoreModel, table=True):
    """A customer's own data key, wrapped (sealed) by the payload key ring: it opens the
    customer's personal data in every order. Erasing the customer deletes the row, and
    with it the only way to read that data (crypto-shredding)."""

    __tablename__ = "customer_keys"

    key_id: str = Field(primary_key=True, max_length=64)
    # A keyed hash (HMAC-SHA256, the search hash key) of the normalized e-mail: finds the
    # key from an e-mail without keeping the e-mail.
    customer_ref: str = Field(max_length=64, unique=True)
    wrapped: str = Field(sa_type=sa.Text)
    created_at: datetime = _ts()


class CustomerTermRow(StoreModel, table=True):
    """A blind index of customers' names and e-mails: a keyed hash of each 3-character
    piece, under the customer's key id, so a search by part of a name finds the customer
    without the store holding the name. Erasing the customer deletes their rows."""

    __tablename__ = "customer_terms"
    __table_args__ = (sa.Index(None, "term"),)

    key_id: str = Field(primary_key=True, max_length=64)
    term: str = Field(primary_key=True, max_length=32)


class ReturnRow(StoreModel, table=True):
    """An authorized return of an order's shipped lines. ``number`` is unique per order:
    two authorizations racing for the same order both try ``R<n>`` and one fails, runs
    again, and sees the other's lines (adapters/store/returns.py)."""

    __tablename__ = "returns"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "number"),
        sa.UniqueConstraint("order_id", "request_id"),
    )

    return_id: str = Field(primary_key=True, max_length=80)
    order_id: str = Field(max_length=64, index=True)
    number: int
    request_id: str | None = Field(default=None, max_length=200)
    location_id: str = Field(max_length=64, index=True)
    status: str = Field(max_length=16)
    currency: str = Field(default="USD", max_length=3)
    actor: str = Field(default="system", max_length=200)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ReturnLineRow(StoreModel, table=True):
    """One authorized line of a return, and what the location found of it (sellable
    units went back on hand with a ``return`` ledger row; damaged ones only here)."""

    __tablename__ = "return_lines"

    return_id: str = Field(primary_key=True, foreign_key="returns.return_id", max_length=80)
    line_id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(max_length=64)
    quantity: int
    reason: str = Field(default="", max_length=500)
    unit_price: str | None = Field(default=None, max_length=32)
    sellable: int = 0
    damaged: int = 0
