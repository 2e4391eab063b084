"""Repositories: every query the store runs, phrased in the business's words.

They never commit; the unit of work that owns the session does. Stock changes go through
single ``UPDATE`` statements whose ``WHERE`` clause carries the business rule, so the
check and the change happen atomically under the row's write lock on both databases.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from adapters.store.tables import (
    AllocationRow,
    BackorderRow,
    LedgerEntryRow,
    LocationChangeRow,
    LocationRow,
    MetaRow,
    ReservationRow,
    ShortfallRow,
    SkuRow,
    StockRow,
    utcnow,
)
from adapters.store.views import MovementKind, ReservationStatus

NETWORK_VERSION = "network_version"

# The statements every order runs (reserve, ship), built once with bound parameters on
# the tables themselves: building an ORM expression per call, and the ORM's bookkeeping
# for rows nobody reads back, were most of the CPU an allocation spent in the store.
# (SQLModel gives each table class its __table__ at runtime; its types do not declare it.)
_stock = StockRow.__table__  # type: ignore[attr-defined]
_ledger = LedgerEntryRow.__table__  # type: ignore[attr-defined]
_allocations = AllocationRow.__table__  # type: ignore[attr-defined]
_reservations = ReservationRow.__table__  # type: ignore[attr-defined]
_NOW = sa.bindparam("now", type_=_stock.c.updated_at.type)
_AT = (_stock.c.location_id == sa.bindparam("at")) & (_stock.c.sku == sa.bindparam("item"))
_TRY_RESERVE = (
    sa.update(_stock)
    .where(_AT, _stock.c.on_hand - _stock.c.reserved - sa.bindparam("keep") >= sa.bindparam("n"))
    .values(reserved=_stock.c.reserved + sa.bindparam("n"), updated_at=_NOW)
)
_MOVE = (
    sa.update(_stock)
    .where(_AT)
    .values(
        on_hand=_stock.c.on_hand + sa.bindparam("d_on_hand"),
        reserved=_stock.c.reserved + sa.bindparam("d_reserved"),
        updated_at=_NOW,
    )
)
_LEDGER_INSERT = sa.insert(_ledger)
_ALLOCATION = sa.select(_allocations.c.order_id, _allocations.c.decision_json).where(
    _allocations.c.allocation_key == sa.bindparam("key")
)
_ALLOCATION_INSERT = sa.insert(_allocations)
_RESERVATION_INSERT = sa.insert(_reservations)
_FREE = _stock.c.on_hand - _stock.c.reserved
_UNRESERVED = sa.select(_stock.c.sku, _stock.c.location_id, _FREE).where(
    _stock.c.sku.in_(sa.bindparam("skus", expanding=True)), _FREE > 0
)
_ORDERS_SINCE = (
    sa.select(_reservations.c.location_id, sa.func.count(sa.distinct(_reservations.c.order_id)))
    .where(
        _reservations.c.created_at >= sa.bindparam("since", type_=_reservations.c.created_at.type),
        _reservations.c.status != ReservationStatus.RELEASED.value,
    )
    .group_by(_reservations.c.location_id)
)
_meta = MetaRow.__table__  # type: ignore[attr-defined]
_META = sa.select(_meta.c.value).where(_meta.c.key == sa.bindparam("key"))
_UNITS_IN = sa.select(sa.func.coalesce(sa.func.sum(_reservations.c.quantity), 0)).where(
    _reservations.c.order_id == sa.bindparam("order"),
    _reservations.c.fulfillment_id == sa.bindparam("fid"),
    _reservations.c.status == sa.bindparam("status"),
)


class InventoryRepository:
    """Stock levels, reservations, allocations and the ledger."""

    def __init__(self, session: Session) -> None:
        self._s = session

    # --- stock levels ---------------------------------------------------------------

    def stock(self, location_id: str, sku: str, *, for_update: bool = False) -> StockRow | None:
        query = sa.select(StockRow).where(
            col(StockRow.location_id) == location_id, col(StockRow.sku) == sku
        )
        # Balances change through UPDATE statements, so never trust a copy already loaded.
        query = query.execution_options(populate_existing=True)
        if for_update:
            query = query.with_for_update()
        return self._s.scalars(query).one_or_none()

    def ensure_stock(self, location_id: str, sku: str) -> None:
        """Create an empty balance row unless one exists (safe against a concurrent insert)."""
        values = {"location_id": location_id, "sku": sku, "on_hand": 0, "reserved": 0}
        values["updated_at"] = utcnow()
        dialect = self._s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._s.execute(insert(StockRow).values(**values).on_conflict_do_nothing())

    def try_reserve(self, location_id: str, sku: str, units: int, safety_stock: int) -> bool:
        """Reserve ``units`` if ``on_hand - reserved - safety_stock >= units``; False if not."""
        params = {"at": location_id, "item": sku, "keep": safety_stock, "n": units}
        result = self._s.execute(_TRY_RESERVE, {**params, "now": utcnow()})
        return _rowcount(result) == 1

    def move(self, location_id: str, sku: str, *, on_hand: int = 0, reserved: int = 0) -> None:
        """Add the deltas to a balance row that the caller knows exists (and holds locked)."""
        params = {"at": location_id, "item": sku, "d_on_hand": on_hand, "d_reserved": reserved}
        result = self._s.execute(_MOVE, {**params, "now": utcnow()})
        if _rowcount(result) != 1:
            raise LookupError(f"no stock row for {sku} at {location_id}")

    def balances_of(self, sku: str) -> Sequence[StockRow]:
        query = (
            sa.select(StockRow).where(col(StockRow.sku) == sku).order_by(col(StockRow.location_id))
        )
        return self._s.scalars(query).all()

    def balances_at(
        self,
        location_id: str,
        *,
        after_sku: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[StockRow]:
        """A location's balances by SKU; page with ``after_sku`` (keyset) or ``offset``."""
        query = sa.select(StockRow).where(col(StockRow.location_id) == location_id)
        if after_sku is not None:
            query = query.where(col(StockRow.sku) > after_sku)
        query = query.order_by(col(StockRow.sku)).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return self._s.scalars(query).all()

    def count_balances_at(self, location_id: str) -> int:
        query = sa.select(sa.func.count()).where(col(StockRow.location_id) == location_id)
        return int(self._s.scalar(query.select_from(StockRow)) or 0)

    def all_balances(self) -> Sequence[StockRow]:
        return self._s.scalars(sa.select(StockRow)).all()

    def unreserved(self, skus: Iterable[str]) -> list[tuple[str, str, int]]:
        """(sku, location_id, on_hand - reserved) for the given SKUs where that is positive."""
        wanted = sorted(set(skus))
        if not wanted:
            return []
        return [(s, loc, int(n)) for s, loc, n in self._s.execute(_UNRESERVED, {"skus": wanted})]

    # --- reservations and allocations -----------------------------------------------

    def allocation(self, allocation_key: str) -> sa.Row[tuple[str, str]] | None:
        """The stored answer under ``allocation_key``: ``.order_id`` and ``.decision_json``."""
        return self._s.execute(_ALLOCATION, {"key": allocation_key}).one_or_none()

    def add_allocation(self, order_id: str, allocation_key: str, decision_json: str) -> None:
        """Insert now: a key taken (or being taken) by another transaction raises here
        (``IntegrityError``; on PostgreSQL after waiting for that transaction to end)."""
        row = {"allocation_key": allocation_key, "order_id": order_id}
        self._s.execute(
            _ALLOCATION_INSERT, {**row, "decision_json": decision_json, "created_at": utcnow()}
        )

    def insert_reservations(self, rows: list[dict[str, Any]]) -> None:
        """New reservation rows (column values), inserted now in one statement."""
        if rows:
            self._s.execute(_RESERVATION_INSERT, rows)

    def reservations_of(
        self, order_id: str, fulfillment_ids: Iterable[str], *, for_update: bool = False
    ) -> Sequence[ReservationRow]:
        """The order's reservation rows for these fulfillments (any status)."""
        query = sa.select(ReservationRow).where(
            col(ReservationRow.order_id) == order_id,
            col(ReservationRow.fulfillment_id).in_(sorted(set(fulfillment_ids))),
        )
        if for_update:
            query = query.with_for_update()
        return self._s.scalars(query).all()

    def units_in(self, order_id: str, fulfillment_id: str, status: ReservationStatus) -> int:
        """Units the fulfillment holds in reservations of ``status``."""
        params = {"order": order_id, "fid": fulfillment_id, "status": status.value}
        return int(self._s.execute(_UNITS_IN, params).scalar_one())

    def reservations(
        self,
        order_id: str | None = None,
        fulfillment_id: str | None = None,
        *,
        status: ReservationStatus | None = None,
        for_update: bool = False,
    ) -> Sequence[ReservationRow]:
        """Matching reservations in lock order (location, SKU), so writers never deadlock."""
        query = sa.select(ReservationRow)
        if order_id is not None:
            query = query.where(col(ReservationRow.order_id) == order_id)
        if fulfillment_id is not None:
            query = query.where(col(ReservationRow.fulfillment_id) == fulfillment_id)
        if status is not None:
            query = query.where(col(ReservationRow.status) == status.value)
        query = query.order_by(
            col(ReservationRow.location_id),
            col(ReservationRow.sku),
            col(ReservationRow.order_id),
            col(ReservationRow.id),
        )
        if for_update:
            query = query.with_for_update()
        return self._s.scalars(query).all()

    def open_reserved_totals(self) -> dict[tuple[str, str], int]:
        """(location_id, sku) -> units held by open reservations."""
        query = (
            sa.select(
                col(ReservationRow.location_id),
                col(ReservationRow.sku),
                sa.func.sum(col(ReservationRow.quantity)),
            )
            .where(col(ReservationRow.status) == ReservationStatus.OPEN.value)
            .group_by(col(ReservationRow.location_id), col(ReservationRow.sku))
        )
        return {(loc, sku): int(n) for loc, sku, n in self._s.execute(query)}

    def orders_reserved_since(self, since: datetime) -> dict[str, int]:
        """location_id -> distinct orders holding an open or shipped reservation made since."""
        return {loc: int(n) for loc, n in self._s.execute(_ORDERS_SINCE, {"since": since})}

    # --- short picks and backorders -----------------------------------------------

    def shortfall(self, key: str) -> ShortfallRow | None:
        return self._s.get(ShortfallRow, key)

    def add_shortfall(self, row: ShortfallRow) -> None:
        self._s.add(row)

    def backordered_skus(self, order_id: str) -> set[str]:
        query = sa.select(col(BackorderRow.sku)).where(col(BackorderRow.order_id) == order_id)
        return set(self._s.scalars(query).all())

    def add_backorders(self, order_id: str, skus: Iterable[str]) -> None:
        """Note that ``order_id`` waits for ``skus``; rows already there are kept as they are
        (a retried activity racing its first attempt inserts nothing twice)."""
        now = utcnow()
        dialect = self._s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for sku in sorted(set(skus)):
            values = {"order_id": order_id, "sku": sku, "since": now}
            self._s.execute(insert(BackorderRow).values(**values).on_conflict_do_nothing())

    def remove_backorders(self, order_id: str, skus: Iterable[str]) -> None:
        wanted = sorted(set(skus))
        if wanted:
            self._s.execute(
                sa.delete(BackorderRow).where(
                    col(BackorderRow.order_id) == order_id, col(BackorderRow.sku).in_(wanted)
                )
            )

    def orders_waiting_for(self, skus: Iterable[str]) -> list[str]:
        """Orders waiting for any of ``skus``, the longest-waiting first."""
        wanted = sorted(set(skus))
        if not wanted:
            return []
        first_wait = sa.func.min(col(BackorderRow.since))
        query = (
            sa.select(col(BackorderRow.order_id))
            .where(col(BackorderRow.sku).in_(wanted))
            .group_by(col(BackorderRow.order_id))
            .order_by(first_wait, col(BackorderRow.order_id))
        )
        return list(self._s.scalars(query).all())

    def orders_waiting(self) -> int:
        """How many orders wait for stock (whatever SKUs)."""
        query = sa.select(sa.func.count(sa.distinct(col(BackorderRow.order_id))))
        return int(self._s.scalar(query) or 0)

    # --- the ledger -----------------------------------------------------------------

    def record(
        self,
        kind: MovementKind,
        location_id: str,
        sku: str,
        *,
        on_hand: int = 0,
        reserved: int = 0,
        reason: str,
        reference: str | None,
        actor: str,
    ) -> None:
        """One ledger row, inserted now (it is never read back in the same transaction)."""
        self.record_all(
            [
                ledger_entry(
                    kind, location_id, sku, on_hand=on_hand, reserved=reserved,
                    reason=reason, reference=reference, actor=actor,
                )
            ]
        )  # fmt: skip

    def record_all(self, entries: list[dict[str, Any]]) -> None:
        """Ledger rows made by ``ledger_entry``, inserted in that order in one statement."""
        if entries:
            self._s.execute(_LEDGER_INSERT, entries)

    def ledger(
        self, location_id: str, sku: str, *, limit: int, before_id: int | None
    ) -> Sequence[LedgerEntryRow]:
        """Newest first; page with ``before_id`` (the smallest id of the previous page)."""
        query = sa.select(LedgerEntryRow).where(
            col(LedgerEntryRow.location_id) == location_id, col(LedgerEntryRow.sku) == sku
        )
        if before_id is not None:
            query = query.where(col(LedgerEntryRow.id) < before_id)
        return self._s.scalars(query.order_by(col(LedgerEntryRow.id).desc()).limit(limit)).all()

    def location_ledger(
        self, location_id: str, *, limit: int, since: datetime | None, kinds: Iterable[str] | None
    ) -> Sequence[LedgerEntryRow]:
        """Every SKU's movements at one location, newest first (``since``: at or after;
        ``kinds``: only these)."""
        query = sa.select(LedgerEntryRow).where(col(LedgerEntryRow.location_id) == location_id)
        if since is not None:
            query = query.where(col(LedgerEntryRow.at) >= since)
        if kinds is not None:
            query = query.where(col(LedgerEntryRow.kind).in_(list(kinds)))
        # By time (the index on location and time), ties by id: the insertion order.
        newest = (col(LedgerEntryRow.at).desc(), col(LedgerEntryRow.id).desc())
        return self._s.scalars(query.order_by(*newest).limit(limit)).all()

    def ledger_totals(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(location_id, sku) -> (sum of on_hand deltas, sum of reserved deltas)."""
        query = sa.select(
            col(LedgerEntryRow.location_id),
            col(LedgerEntryRow.sku),
            sa.func.sum(col(LedgerEntryRow.on_hand_delta)),
            sa.func.sum(col(LedgerEntryRow.reserved_delta)),
        ).group_by(col(LedgerEntryRow.location_id), col(LedgerEntryRow.sku))
        return {(loc, sku): (int(a), int(b)) for loc, sku, a, b in self._s.execute(query)}


class CatalogueRepository:
    """SKUs, locations and the network's policy and version (the ``meta`` table)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def has_locations(self) -> bool:
        return self._s.scalars(sa.select(col(LocationRow.id)).limit(1)).first() is not None

    def skus(self) -> Sequence[SkuRow]:
        return self._s.scalars(
            sa.select(SkuRow).order_by(col(SkuRow.position), col(SkuRow.sku))
        ).all()

    def sku_ids(self) -> set[str]:
        return set(self._s.scalars(sa.select(col(SkuRow.sku))).all())

    def sku(self, sku: str) -> SkuRow | None:
        return self._s.get(SkuRow, sku)

    def locations(self) -> Sequence[LocationRow]:
        query = sa.select(LocationRow).order_by(col(LocationRow.position), col(LocationRow.id))
        return self._s.scalars(query).all()

    def location(self, location_id: str) -> LocationRow | None:
        return self._s.get(LocationRow, location_id)

    def add(self, row: SkuRow | LocationRow | StockRow | LocationChangeRow) -> None:
        self._s.add(row)

    def get_meta(self, key: str) -> Any:
        """The JSON value under ``key`` as the database has it (one prebuilt statement: the
        network and rules versions are read for every allocation and dispatch). A
        ``set_meta`` of this unit of work shows only once flushed; none reads after one."""
        value = self._s.execute(_META, {"key": key}).scalar_one_or_none()
        return None if value is None else json.loads(value)

    def set_meta(self, key: str, value: Any) -> None:
        row = self._s.get(MetaRow, key)
        if row is None:
            self._s.add(MetaRow(key=key, value=json.dumps(value)))
        else:
            row.value = json.dumps(value)

    def network_version(self) -> int:
        return int(self.get_meta(NETWORK_VERSION) or 0)

    def bump_network_version(self) -> int:
        """Called by every change to SKUs or locations, in the same transaction."""
        return self.bump_counter(NETWORK_VERSION)

    def bump_counter(self, key: str) -> int:
        """Add one to the counter kept under ``key`` and return it. The row is read under
        ``FOR UPDATE`` so two concurrent transactions get two numbers (the very first one
        is an insert, and a concurrent second insert fails on the primary key)."""
        query = sa.select(MetaRow).where(col(MetaRow.key) == key).with_for_update()
        row = self._s.scalars(query).one_or_none()
        if row is None:
            self._s.add(MetaRow(key=key, value="1"))
            return 1
        version = int(json.loads(row.value)) + 1
        row.value = json.dumps(version)
        return version


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def ledger_entry(
    kind: MovementKind,
    location_id: str,
    sku: str,
    *,
    on_hand: int = 0,
    reserved: int = 0,
    reason: str,
    reference: str | None,
    actor: str,
) -> dict[str, Any]:
    """A ledger row's column values, for ``InventoryRepository.record_all``."""
    return {
        "at": utcnow(),
        "kind": kind.value,
        "location_id": location_id,
        "sku": sku,
        "on_hand_delta": on_hand,
        "reserved_delta": reserved,
        "reason": reason,
        "reference": reference,
        "actor": actor,
    }
