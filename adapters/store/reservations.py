"""Reserving, releasing and shipping stock for orders: each function is one unit of work.

The check and the change are one statement (``InventoryRepository.try_reserve``), so
there is no window between reading what is available and taking it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from adapters.store.errors import AllocationKeyReused, InvalidQuantity, ReservationConflict
from adapters.store.repository import ledger_entry
from adapters.store.tables import AllocationRow, ReservationRow, utcnow
from adapters.store.unit_of_work import UnitOfWork
from adapters.store.views import MovementKind, PackageReservation, ReservationStatus
from domain.errors import OutOfStock

_allocations = AllocationRow.__table__  # type: ignore[attr-defined]

# (location_id, sku, fulfillment_id, units, safety_stock)
Line = tuple[str, str, str, int, int]


class LostAllocationRace(Exception):
    """Another transaction inserted the same allocation key first (PostgreSQL only)."""


def plan_lines(packages: Iterable[PackageReservation]) -> list[Line]:
    """The plan's lines in lock order (location, SKU): concurrent plans never deadlock."""
    lines = sorted(
        (p.location_id, sku, p.fulfillment_id, units, p.safety_stock.get(sku, 0))
        for p in packages
        for sku, units in p.lines.items()
    )
    for location_id, sku, _, units, safety in lines:
        if units <= 0 or safety < 0:
            raise InvalidQuantity(
                f"cannot reserve {units} x {sku} at {location_id} with safety stock {safety}"
            )
    return lines


def first_answer(uow: UnitOfWork, order_id: str, allocation_key: str) -> str | None:
    """The decision stored under ``allocation_key``, or None if the key is new."""
    first = uow.inventory.allocation(allocation_key)
    if first is None:
        return None
    if first.order_id != order_id:
        raise AllocationKeyReused(
            f"allocation key {allocation_key!r} belongs to order {first.order_id}, not {order_id}"
        )
    decision_json: str = first.decision_json
    return decision_json


def reserve_plan(
    uow: UnitOfWork,
    order_id: str,
    allocation_key: str,
    lines: list[Line],
    decision_json: str,
    actor: str,
) -> str:
    """All lines reserved, or ``OutOfStock`` and nothing (the caller's rollback undoes all)."""
    answer = first_answer(uow, order_id, allocation_key)
    if answer is not None:
        return answer
    try:
        # On PostgreSQL, a concurrent twin waits here for the first to finish.
        uow.inventory.add_allocation(order_id, allocation_key, decision_json)
    except IntegrityError:
        raise LostAllocationRace from None
    earlier = {
        (row.fulfillment_id, row.sku): row
        for row in uow.inventory.reservations_of(
            order_id, {line[2] for line in lines}, for_update=True
        )
    }
    new_rows: list[dict[str, object]] = []
    entries: list[dict[str, object]] = []
    for location_id, sku, fulfillment_id, units, safety in lines:
        if not uow.inventory.try_reserve(location_id, sku, units, safety):
            kept = f" (keeping {safety} safety stock)" if safety else ""
            raise OutOfStock(
                f"{location_id} cannot reserve {units} x {sku}{kept}", location_id, sku
            )
        row = earlier.get((fulfillment_id, sku))
        if row is None:
            new_rows.append(
                _new_reservation(order_id, fulfillment_id, sku, location_id, units, allocation_key)
            )
        else:
            _reopen(row, location_id, units, allocation_key)
        entries.append(
            ledger_entry(
                MovementKind.RESERVE, location_id, sku, reserved=units,
                reason=f"allocation {allocation_key}", reference=fulfillment_id, actor=actor,
            )
        )  # fmt: skip
    try:
        uow.inventory.insert_reservations(new_rows)
        uow.flush()
    except IntegrityError:
        raise ReservationConflict(
            f"order {order_id} already holds a reservation for one of these fulfillments"
        ) from None
    uow.inventory.record_all(entries)
    return decision_json


def _new_reservation(
    order_id: str,
    fulfillment_id: str,
    sku: str,
    location_id: str,
    units: int,
    allocation_key: str,
) -> dict[str, object]:
    now = utcnow()
    return {
        "order_id": order_id,
        "fulfillment_id": fulfillment_id,
        "sku": sku,
        "location_id": location_id,
        "quantity": units,
        "status": ReservationStatus.OPEN.value,
        "allocation_key": allocation_key,
        "created_at": now,
        "updated_at": now,
    }


def _reopen(row: ReservationRow, location_id: str, units: int, allocation_key: str) -> None:
    """Reopen a released reservation under a new allocation (the same fulfillment and SKU)."""
    now = utcnow()
    fulfillment_id, sku = row.fulfillment_id, row.sku
    if row.status != ReservationStatus.RELEASED.value:
        raise ReservationConflict(
            f"{fulfillment_id} already holds a {row.status} reservation of {sku} "
            f"(allocation {row.allocation_key}); use a new fulfillment id"
        )
    row.location_id, row.quantity, row.allocation_key = location_id, units, allocation_key
    row.status = ReservationStatus.OPEN.value
    row.created_at = row.updated_at = now


def release(
    uow: UnitOfWork, order_id: str, fulfillment_id: str | None, reason: str, actor: str
) -> dict[str, int]:
    """Release the open reservations matched; the units released by SKU (empty if none)."""
    released: dict[str, int] = {}
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
        released[row.sku] = released.get(row.sku, 0) + row.quantity
    return released


def commit_shipment(
    uow: UnitOfWork,
    order_id: str,
    fulfillment_id: str,
    shipped_by_sku: dict[str, int] | None,
    actor: str,
) -> int:
    """Ship the fulfillment's open reservations (all, or ``shipped_by_sku`` with the rest
    released); returns the total units ever shipped for it, so a retry gets the same figure."""
    rows = uow.inventory.reservations(
        order_id, fulfillment_id, status=ReservationStatus.OPEN, for_update=True
    )
    if rows and shipped_by_sku is not None:
        _check_shipped_lines(fulfillment_id, rows, shipped_by_sku)
    entries: list[dict[str, object]] = []
    for row in rows:
        shipped = row.quantity if shipped_by_sku is None else shipped_by_sku.get(row.sku, 0)
        rest = row.quantity - shipped
        uow.inventory.move(row.location_id, row.sku, on_hand=-shipped, reserved=-row.quantity)
        if shipped:
            entries.append(
                ledger_entry(
                    MovementKind.SHIP, row.location_id, row.sku,
                    on_hand=-shipped, reserved=-shipped, reason="shipped",
                    reference=fulfillment_id, actor=actor,
                )
            )  # fmt: skip
        if rest:
            entries.append(
                ledger_entry(
                    MovementKind.RELEASE, row.location_id, row.sku,
                    reserved=-rest, reason="shipped short", reference=fulfillment_id, actor=actor,
                )
            )  # fmt: skip
        row.quantity, row.updated_at = shipped, utcnow()
        row.status = ReservationStatus.COMMITTED.value
    uow.inventory.record_all(entries)
    uow.flush()
    return uow.inventory.units_in(order_id, fulfillment_id, ReservationStatus.COMMITTED)


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


def rewrite_allocations(
    uow: UnitOfWork, rewrite: Callable[[str], str], after: str, limit: int
) -> tuple[str | None, int]:
    """Pass the next ``limit`` stored answers (by key, after ``after``) through ``rewrite``,
    saving those it changes; (the last key seen or None when there were none, rows changed)."""
    rows = uow.session.execute(
        sa.select(_allocations.c.allocation_key, _allocations.c.decision_json)
        .where(_allocations.c.allocation_key > after)
        .order_by(_allocations.c.allocation_key)
        .limit(limit)
    ).all()
    changed = 0
    for key, text in rows:
        new = rewrite(text)
        if new != text:
            uow.session.execute(
                sa.update(_allocations)
                .where(_allocations.c.allocation_key == key)
                .values(decision_json=new)
            )
            changed += 1
    return (rows[-1][0] if rows else None), changed
