"""Retention: the rows of orders closed long ago go; the ledger stays (it is the books).

An order is closed, for the store, when it holds no open reservation and none of its
rows has changed since the cutoff: its reservations (released or shipped), its stored
allocations, short picks, backorder rows and event deliveries then go, in batches of
whole orders, one transaction per batch.

Every delete repeats the rule in its own ``WHERE`` (not open, older than the cutoff), so
a row written after the batch was chosen survives, and two processes purging at once
only delete what is already gone (a no-op)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from adapters.store.tables import (
    AllocationRow,
    BackorderRow,
    DeliveryRow,
    ReservationRow,
    ShortfallRow,
)
from adapters.store.unit_of_work import UnitOfWork
from adapters.store.views import ReservationStatus

_reservations = ReservationRow.__table__  # type: ignore[attr-defined]
_allocations = AllocationRow.__table__  # type: ignore[attr-defined]
_shortfalls = ShortfallRow.__table__  # type: ignore[attr-defined]
_backorders = BackorderRow.__table__  # type: ignore[attr-defined]
_deliveries = DeliveryRow.__table__  # type: ignore[attr-defined]

# Each table an order has rows in, with the time its row last changed.
_LAST_CHANGED: tuple[tuple[sa.Table, sa.Column[datetime]], ...] = (
    (_reservations, _reservations.c.updated_at),
    (_allocations, _allocations.c.created_at),
    (_shortfalls, _shortfalls.c.at),
    (_backorders, _backorders.c.since),
    (_deliveries, _deliveries.c.created_at),
)
_OPEN = _reservations.c.status == ReservationStatus.OPEN.value

TABLES = tuple(table.name for table, _ in _LAST_CHANGED)


def closed_orders(uow: UnitOfWork, cutoff: datetime, limit: int) -> list[str]:
    """Up to ``limit`` orders holding no open reservation, none of whose rows changed
    since ``cutoff``."""
    changes = sa.union_all(
        *(sa.select(t.c.order_id, at.label("at")) for t, at in _LAST_CHANGED)
    ).subquery()
    still_open = sa.select(_reservations.c.order_id).where(_OPEN)
    query = (
        sa.select(changes.c.order_id)
        .where(changes.c.order_id.not_in(still_open))
        .group_by(changes.c.order_id)
        .having(sa.func.max(changes.c.at) < sa.bindparam("cutoff", cutoff, type_=_AT_TYPE))
        .order_by(changes.c.order_id)
        .limit(limit)
    )
    return list(uow.session.execute(query).scalars())


def delete_orders(uow: UnitOfWork, order_ids: list[str], cutoff: datetime) -> dict[str, int]:
    """Delete the rows of ``order_ids`` that are older than ``cutoff`` (reservations: and
    not open); the rows deleted by table."""
    deleted: dict[str, int] = {}
    before = sa.bindparam("cutoff", cutoff, type_=_AT_TYPE)
    for table, at in _LAST_CHANGED:
        rule = [table.c.order_id.in_(order_ids), at < before]
        if table is _reservations:
            rule.append(sa.not_(_OPEN))
        result = uow.session.execute(sa.delete(table).where(*rule))
        deleted[table.name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return deleted


_AT_TYPE = _reservations.c.updated_at.type


@dataclass(frozen=True)
class Purged:
    """What one retention pass deleted: how many orders, and their rows by table."""

    orders: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def plus(self, orders: int, rows: dict[str, int]) -> Purged:
        summed = {t: self.rows.get(t, 0) + rows.get(t, 0) for t in {*self.rows, *rows}}
        return Purged(self.orders + orders, summed)
