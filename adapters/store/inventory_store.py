"""``InventoryStore``: the one object the rest of Switchyard calls for stock.

Synchronous and thread-safe: one engine, a unit of work (session and transaction) per
call, so Temporal's sync activities (thread pool) and FastAPI's sync routes share it.
Every method is one transaction; every movement of stock writes a ledger row in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

from adapters.store import network_codec
from adapters.store.engine import READ_ONLY, create_store_engine
from adapters.store.errors import (
    AllocationKeyReused,
    InvalidQuantity,
    ReservationConflict,
)
from adapters.store.migrate import upgrade_to_head
from adapters.store.tables import ReservationRow, StockRow, utcnow
from adapters.store.unit_of_work import UnitOfWork
from adapters.store.views import (
    MovementKind,
    PackageReservation,
    ReservationStatus,
    ReservationView,
    StockBalance,
)
from domain.errors import OutOfStock
from domain.models import Network

T = TypeVar("T")

_RETRIES = 5
# PostgreSQL: deadlock_detected, serialization_failure. Both mean "try the transaction again".
_TRANSIENT_SQLSTATES = {"40P01", "40001"}


class _LostAllocationRace(Exception):
    """Another transaction inserted the same allocation key first (PostgreSQL)."""


class InventoryStore:
    """Stock levels, reservations and their ledger, on SQLite or PostgreSQL."""

    def __init__(self, database_url: str, *, echo: bool = False) -> None:
        self.database_url = database_url
        self._engine = create_store_engine(database_url, echo=echo)
        self._reader = self._engine.execution_options(**{READ_ONLY: True})

    def close(self) -> None:
        """Close the pooled connections (tests, shutdown)."""
        self._engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest revision; safe to call at every start."""
        upgrade_to_head(self._engine)

    # --- the network ----------------------------------------------------------------

    def load_network(self, network: Network, *, actor: str = "system") -> bool:
        """Load ``network`` into an empty store and return True; otherwise change nothing."""

        def work(uow: UnitOfWork) -> bool:
            if uow.catalogue.has_locations():
                return False
            for i, sku in enumerate(network.skus):
                uow.catalogue.add(network_codec.sku_row(sku, i))
            for i, location in enumerate(network.locations):
                uow.catalogue.add(network_codec.location_row(location, i))
            uow.flush()
            for location in network.locations:
                for sku, units in sorted(location.stock.items()):
                    uow.catalogue.add(StockRow(location_id=location.id, sku=sku, on_hand=units))
                    if units:
                        uow.inventory.record(
                            MovementKind.RECEIPT,
                            location.id,
                            sku,
                            on_hand=units,
                            reason="initial stock",
                            reference="network load",
                            actor=actor,
                        )
            for key, value in network_codec.policy(network).items():
                uow.catalogue.set_meta(key, value)
            uow.catalogue.bump_network_version()
            uow.commit()
            return True

        try:
            return self._write(work)
        except IntegrityError:
            # Another process loaded a network at the same moment (PostgreSQL); theirs won.
            if self._read(lambda uow: uow.catalogue.has_locations()):
                return False
            raise

    def network(self) -> Network:
        """The network as stored now, with ``Location.stock`` = on hand."""

        def work(uow: UnitOfWork) -> Network:
            stock: dict[str, dict[str, int]] = {}
            for row in uow.inventory.all_balances():
                stock.setdefault(row.location_id, {})[row.sku] = row.on_hand
            policy = {key: uow.catalogue.get_meta(key) for key in network_codec.POLICY_KEYS}
            return network_codec.rebuild_network(
                uow.catalogue.skus(), uow.catalogue.locations(), stock, policy
            )

        return self._read(work)

    def network_version(self) -> int:
        """A counter that grows whenever SKUs or locations change; cache ``network()`` on it."""
        return self._read(lambda uow: uow.catalogue.network_version())

    def known_skus(self) -> set[str]:
        return self._read(lambda uow: uow.catalogue.sku_ids())

    # --- reading stock --------------------------------------------------------------

    def stock_snapshot(self, skus: Iterable[str]) -> dict[str, dict[str, int]]:
        """sku -> location_id -> on_hand - reserved, for the rows where that is positive."""
        wanted = list(skus)

        def work(uow: UnitOfWork) -> dict[str, dict[str, int]]:
            snapshot: dict[str, dict[str, int]] = {}
            for sku, location_id, units in uow.inventory.unreserved(wanted):
                snapshot.setdefault(sku, {})[location_id] = units
            return snapshot

        return self._read(work)

    def balances(self, sku: str) -> list[StockBalance]:
        """Every location's balance of ``sku`` (including zero rows), by location id."""
        return self._read(lambda uow: [_balance(r) for r in uow.inventory.balances_of(sku)])

    def location_balances(self, location_id: str) -> list[StockBalance]:
        """Every SKU's balance at ``location_id``, by SKU."""
        return self._read(lambda uow: [_balance(r) for r in uow.inventory.balances_at(location_id)])

    def balance(self, location_id: str, sku: str) -> StockBalance:
        """One balance; zeros when the location has never held the SKU."""
        row = self._read(lambda uow: uow.inventory.stock(location_id, sku))
        if row is None:
            return StockBalance(location_id=location_id, sku=sku, on_hand=0, reserved=0)
        return _balance(row)

    # --- reservations ---------------------------------------------------------------

    def reserve_plan(
        self,
        order_id: str,
        allocation_key: str,
        packages: list[PackageReservation],
        decision_json: str,
        *,
        actor: str = "system",
    ) -> str:
        """Reserve every line of every package, or none; idempotent on ``allocation_key``.

        A repeated key returns the first call's ``decision_json`` and changes nothing.
        Raises ``OutOfStock`` (naming the location and SKU) if any line does not fit.
        """
        wanted = sorted(
            (
                (p.location_id, sku, p.fulfillment_id, units, p.safety_stock.get(sku, 0))
                for p in packages
                for sku, units in p.lines.items()
            ),
        )
        for location_id, sku, _, units, safety in wanted:
            if units <= 0 or safety < 0:
                raise InvalidQuantity(f"cannot reserve {units} of {sku} at {location_id}")

        def work(uow: UnitOfWork) -> str:
            first = uow.inventory.allocation(allocation_key)
            if first is not None:
                return _first_answer(first.order_id, order_id, allocation_key, first.decision_json)
            uow.inventory.add_allocation(order_id, allocation_key, decision_json)
            try:
                uow.flush()
            except IntegrityError:
                raise _LostAllocationRace from None
            # Sorted by (location, SKU): concurrent plans lock rows in one order, no deadlock.
            for location_id, sku, fulfillment_id, units, safety in wanted:
                if not uow.inventory.try_reserve(location_id, sku, units, safety):
                    raise OutOfStock(
                        f"{location_id} cannot reserve {units} x {sku}"
                        + (f" (keeping {safety} safety stock)" if safety else ""),
                        location_id,
                        sku,
                    )
                self._hold(uow, order_id, fulfillment_id, sku, location_id, units, allocation_key)
                uow.inventory.record(
                    MovementKind.RESERVE,
                    location_id,
                    sku,
                    reserved=units,
                    reason=f"allocation {allocation_key}",
                    reference=fulfillment_id,
                    actor=actor,
                )
            try:
                uow.flush()
            except IntegrityError:
                raise ReservationConflict(
                    f"order {order_id} already holds a reservation for one of these "
                    "fulfillments under another allocation"
                ) from None
            uow.commit()
            return decision_json

        try:
            return self._write(work)
        except _LostAllocationRace:
            first = self._read(lambda uow: uow.inventory.allocation(allocation_key))
            assert first is not None, "an allocation that won the race must be committed"
            return _first_answer(first.order_id, order_id, allocation_key, first.decision_json)

    @staticmethod
    def _hold(
        uow: UnitOfWork,
        order_id: str,
        fulfillment_id: str,
        sku: str,
        location_id: str,
        units: int,
        allocation_key: str,
    ) -> None:
        """Insert the reservation row, or reopen a released one with the same key."""
        row = uow.inventory.reservation(order_id, fulfillment_id, sku, for_update=True)
        now = utcnow()
        if row is None:
            uow.inventory.add_reservation(
                ReservationRow(
                    order_id=order_id,
                    fulfillment_id=fulfillment_id,
                    sku=sku,
                    location_id=location_id,
                    quantity=units,
                    status=ReservationStatus.OPEN.value,
                    allocation_key=allocation_key,
                    created_at=now,
                    updated_at=now,
                )
            )
            return
        if row.status != ReservationStatus.RELEASED.value:
            raise ReservationConflict(
                f"{fulfillment_id} already holds a {row.status} reservation of {sku} "
                f"(allocation {row.allocation_key}); use a new fulfillment id"
            )
        row.location_id, row.quantity, row.allocation_key = location_id, units, allocation_key
        row.status = ReservationStatus.OPEN.value
        row.created_at = row.updated_at = now

    def release(
        self,
        order_id: str,
        fulfillment_id: str | None = None,
        *,
        reason: str,
        actor: str = "system",
    ) -> int:
        """Release the open reservations of one fulfillment (or the whole order).

        Returns the units released; releasing nothing is a no-op (compensation retries).
        """

        def work(uow: UnitOfWork) -> int:
            released = 0
            rows = uow.inventory.reservations(
                order_id, fulfillment_id, status=ReservationStatus.OPEN, for_update=True
            )
            for row in rows:
                uow.inventory.move(row.location_id, row.sku, reserved=-row.quantity)
                uow.inventory.record(
                    MovementKind.RELEASE,
                    row.location_id,
                    row.sku,
                    reserved=-row.quantity,
                    reason=reason,
                    reference=row.fulfillment_id,
                    actor=actor,
                )
                row.status, row.updated_at = ReservationStatus.RELEASED.value, utcnow()
                released += row.quantity
            uow.commit()
            return released

        return self._write(work)

    def commit_shipment(
        self,
        order_id: str,
        fulfillment_id: str,
        *,
        actor: str = "system",
        lines: dict[str, int] | None = None,
    ) -> int:
        """The fulfillment shipped: its open reservations leave the building.

        ``lines`` (sku -> units shipped) allows a short shipment: the unshipped rest of each
        reservation is released. Idempotent: once committed, another call changes nothing
        and returns the same figure, the total units shipped for the fulfillment.
        """
        shipped_by_sku = dict(lines) if lines is not None else None

        def work(uow: UnitOfWork) -> int:
            rows = uow.inventory.reservations(
                order_id, fulfillment_id, status=ReservationStatus.OPEN, for_update=True
            )
            if rows and shipped_by_sku is not None:
                _check_shipped_lines(fulfillment_id, rows, shipped_by_sku)
            for row in rows:
                shipped = row.quantity if shipped_by_sku is None else shipped_by_sku.get(row.sku, 0)
                rest = row.quantity - shipped
                uow.inventory.move(
                    row.location_id, row.sku, on_hand=-shipped, reserved=-row.quantity
                )
                if shipped:
                    uow.inventory.record(
                        MovementKind.SHIP,
                        row.location_id,
                        row.sku,
                        on_hand=-shipped,
                        reserved=-shipped,
                        reason="shipped",
                        reference=fulfillment_id,
                        actor=actor,
                    )
                if rest:
                    uow.inventory.record(
                        MovementKind.RELEASE,
                        row.location_id,
                        row.sku,
                        reserved=-rest,
                        reason="shipped short",
                        reference=fulfillment_id,
                        actor=actor,
                    )
                row.quantity, row.updated_at = shipped, utcnow()
                row.status = ReservationStatus.COMMITTED.value
            uow.flush()
            total = sum(
                r.quantity
                for r in uow.inventory.reservations(
                    order_id, fulfillment_id, status=ReservationStatus.COMMITTED
                )
            )
            uow.commit()
            return total

        return self._write(work)

    def open_reservations(self, order_id: str | None = None) -> list[ReservationView]:
        """Open reservations (of one order, or all), by location and SKU."""
        return self._read(
            lambda uow: [
                _reservation(r)
                for r in uow.inventory.reservations(order_id, status=ReservationStatus.OPEN)
            ]
        )

    def reservations(self, order_id: str) -> list[ReservationView]:
        """Every reservation of an order, whatever its status."""
        return self._read(
            lambda uow: [_reservation(r) for r in uow.inventory.reservations(order_id)]
        )

    def orders_today(self) -> dict[str, int]:
        """location_id -> distinct orders reserved there since UTC midnight (not released)."""
        midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return self._read(lambda uow: uow.inventory.orders_reserved_since(midnight))

    # --- plumbing -------------------------------------------------------------------

    def _write(self, work: Callable[[UnitOfWork], T]) -> T:
        return _retrying(lambda: _in_unit_of_work(UnitOfWork(self._engine), work))

    def _read(self, work: Callable[[UnitOfWork], T]) -> T:
        return _retrying(lambda: _in_unit_of_work(UnitOfWork(self._reader), work))


def _in_unit_of_work(uow: UnitOfWork, work: Callable[[UnitOfWork], T]) -> T:
    with uow:
        return work(uow)


def _retrying(attempt: Callable[[], T]) -> T:
    """Run a whole transaction again when the database asks for it (deadlock, busy)."""
    for n in range(_RETRIES):
        try:
            return attempt()
        except OperationalError as exc:
            if n == _RETRIES - 1 or not _transient(exc):
                raise
            time.sleep(0.01 * 2**n)
    raise AssertionError("unreachable")


def _transient(exc: OperationalError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in _TRANSIENT_SQLSTATES or "database is locked" in str(exc.orig)


def _first_answer(stored_order: str, order_id: str, key: str, decision_json: str) -> str:
    if stored_order != order_id:
        raise AllocationKeyReused(f"allocation key {key!r} belongs to order {stored_order}")
    return decision_json


def _check_shipped_lines(
    fulfillment_id: str, rows: Iterable[ReservationRow], shipped: dict[str, int]
) -> None:
    reserved = {r.sku: r.quantity for r in rows}
    for sku, units in shipped.items():
        if sku not in reserved or not 0 <= units <= reserved[sku]:
            raise InvalidQuantity(
                f"{fulfillment_id} cannot ship {units} x {sku}: "
                f"{reserved.get(sku, 0)} reserved for it"
            )


def _balance(row: StockRow) -> StockBalance:
    return StockBalance(
        location_id=row.location_id, sku=row.sku, on_hand=row.on_hand, reserved=row.reserved
    )


def _reservation(row: ReservationRow) -> ReservationView:
    return ReservationView(
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
