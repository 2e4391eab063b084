"""Event subscriptions and their deliveries in the store. Functions over a unit of work,
like the store's other modules; ``InventoryStore`` opens the transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col

from adapters.store.tables import DeliveryRow, SubscriptionRow, utcnow
from adapters.store.unit_of_work import UnitOfWork

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class SubscriptionRecord(BaseModel):
    """A subscription as the store keeps it; ``secret`` is never serialised."""

    model_config = ConfigDict(frozen=True)

    id: str
    url: str
    secret: str = Field(exclude=True, repr=False)
    event_types: list[str]
    created_at: datetime
    created_by: str
    deleted_at: datetime | None = None


class DeliveryRecord(BaseModel):
    """One event sent (or being sent) to one subscriber."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
    order_id: str
    status: str
    attempts: int
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None


def _subscription(row: SubscriptionRow) -> SubscriptionRecord:
    return SubscriptionRecord.model_validate(row, from_attributes=True)


def _delivery(row: DeliveryRow) -> DeliveryRecord:
    return DeliveryRecord.model_validate(row, from_attributes=True)


def create(uow: UnitOfWork, record: SubscriptionRecord) -> SubscriptionRecord:
    row = SubscriptionRow(
        id=record.id,
        url=record.url,
        secret=record.secret,
        event_types=list(record.event_types),
        created_at=record.created_at,
        created_by=record.created_by,
    )
    uow.session.add(row)
    uow.session.flush()
    return _subscription(row)


def live(uow: UnitOfWork) -> list[SubscriptionRecord]:
    """Subscriptions not deleted, the oldest first."""
    query = (
        sa.select(SubscriptionRow)
        .where(col(SubscriptionRow.deleted_at).is_(None))
        .order_by(col(SubscriptionRow.created_at), col(SubscriptionRow.id))
    )
    return [_subscription(row) for row in uow.session.scalars(query)]


def find(uow: UnitOfWork, subscription_id: str) -> SubscriptionRecord | None:
    row = uow.session.get(SubscriptionRow, subscription_id)
    return _subscription(row) if row is not None else None


def delete(uow: UnitOfWork, subscription_id: str) -> SubscriptionRecord | None:
    """Stop sending to a subscription (its deliveries stay); None if there is no live one."""
    row = uow.session.get(SubscriptionRow, subscription_id)
    if row is None or row.deleted_at is not None:
        return None
    row.deleted_at = utcnow()
    uow.session.flush()
    return _subscription(row)


def delivery(uow: UnitOfWork, subscription_id: str, event_id: str) -> DeliveryRow:
    """The delivery of ``event_id`` to the subscription, created ``pending`` on first sight."""
    query = sa.select(DeliveryRow).where(
        col(DeliveryRow.subscription_id) == subscription_id, col(DeliveryRow.event_id) == event_id
    )
    row = uow.session.scalars(query).one_or_none()
    if row is None:
        raise LookupError(event_id)
    return row


def start_delivery(
    uow: UnitOfWork, subscription_id: str, event_id: str, event_type: str, order_id: str
) -> DeliveryRecord:
    """The delivery's record, created ``pending`` if it is new (a retry finds its own)."""
    try:
        return _delivery(delivery(uow, subscription_id, event_id))
    except LookupError:
        row = DeliveryRow(
            subscription_id=subscription_id,
            event_id=event_id,
            event_type=event_type,
            order_id=order_id,
            status=PENDING,
        )
        uow.session.add(row)
        uow.session.flush()
        return _delivery(row)


def record_attempt(
    uow: UnitOfWork, subscription_id: str, event_id: str, error: str | None, *, final: bool
) -> DeliveryRecord:
    """One more attempt: delivered (``error`` None), still pending, or failed for good."""
    row = delivery(uow, subscription_id, event_id)
    row.attempts += 1
    if error is None:
        row.status, row.delivered_at, row.last_error = DELIVERED, utcnow(), None
    else:
        row.status, row.last_error = (FAILED if final else PENDING), error[:500]
    uow.session.flush()
    return _delivery(row)


def deliveries(uow: UnitOfWork, subscription_id: str, limit: int) -> list[DeliveryRecord]:
    """The subscription's deliveries, the newest first."""
    query = (
        sa.select(DeliveryRow)
        .where(col(DeliveryRow.subscription_id) == subscription_id)
        .order_by(col(DeliveryRow.id).desc())
        .limit(limit)
    )
    return [_delivery(row) for row in uow.session.scalars(query)]
