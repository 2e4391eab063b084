"""Stock movements staff and systems report: receipts, adjustments and cycle counts.

Each runs inside the caller's unit of work with the balance row locked (``FOR UPDATE``
on PostgreSQL, the write lock on SQLite), so the rule "on hand never below reserved, never
below zero" is checked against the figures it changes.
"""

from __future__ import annotations

from adapters.store.errors import InvalidQuantity, WouldUnderflow
from adapters.store.tables import StockRow
from adapters.store.unit_of_work import UnitOfWork
from adapters.store.views import MovementKind
from domain.errors import UnknownLocation, UnknownSku


def receive(
    uow: UnitOfWork, location_id: str, sku: str, quantity: int, reference: str | None, actor: str
) -> StockRow:
    """Units arrived: on_hand += quantity (the balance row is created if missing)."""
    if quantity <= 0:
        raise InvalidQuantity(f"a receipt needs a positive quantity, not {quantity}")
    locked_balance(uow, location_id, sku)
    uow.inventory.move(location_id, sku, on_hand=quantity)
    uow.inventory.record(
        MovementKind.RECEIPT,
        location_id,
        sku,
        on_hand=quantity,
        reason="receipt",
        reference=reference,
        actor=actor,
    )
    return _reread(uow, location_id, sku)


def adjust(
    uow: UnitOfWork,
    location_id: str,
    sku: str,
    delta: int,
    reason: str,
    reference: str | None,
    actor: str,
) -> StockRow:
    """on_hand += delta (damage, found units...); ``WouldUnderflow`` below reserved or zero."""
    if delta == 0:
        raise InvalidQuantity("an adjustment of 0 units changes nothing")
    row = locked_balance(uow, location_id, sku)
    _check_floor(row, row.on_hand + delta, f"adjusting by {delta:+d}")
    uow.inventory.move(location_id, sku, on_hand=delta)
    uow.inventory.record(
        MovementKind.ADJUSTMENT,
        location_id,
        sku,
        on_hand=delta,
        reason=reason,
        reference=reference,
        actor=actor,
    )
    return _reread(uow, location_id, sku)


def count(
    uow: UnitOfWork,
    location_id: str,
    sku: str,
    on_hand: int,
    reason: str,
    reference: str | None,
    actor: str,
) -> StockRow:
    """A cycle count: on_hand becomes what was counted; the ledger row holds the difference
    (a zero difference is recorded too: it says when the figure was last confirmed)."""
    if on_hand < 0:
        raise InvalidQuantity(f"a count cannot be negative ({on_hand})")
    row = locked_balance(uow, location_id, sku)
    _check_floor(row, on_hand, f"a count of {on_hand}")
    delta = on_hand - row.on_hand
    if delta:
        uow.inventory.move(location_id, sku, on_hand=delta)
    uow.inventory.record(
        MovementKind.COUNT,
        location_id,
        sku,
        on_hand=delta,
        reason=reason,
        reference=reference,
        actor=actor,
    )
    return _reread(uow, location_id, sku)


def require_known(uow: UnitOfWork, location_id: str, sku: str) -> None:
    if uow.catalogue.location(location_id) is None:
        raise UnknownLocation(f"unknown location {location_id!r}")
    if uow.catalogue.sku(sku) is None:
        raise UnknownSku(f"unknown SKU {sku!r}", field="sku")


def locked_balance(uow: UnitOfWork, location_id: str, sku: str) -> StockRow:
    """The balance row, created empty if missing and locked until the transaction ends."""
    require_known(uow, location_id, sku)
    uow.inventory.ensure_stock(location_id, sku)
    row = uow.inventory.stock(location_id, sku, for_update=True)
    assert row is not None, "ensure_stock just created it"
    return row


def _check_floor(row: StockRow, new_on_hand: int, what: str) -> None:
    if new_on_hand < 0 or new_on_hand < row.reserved:
        raise WouldUnderflow(
            f"{what} would leave {row.location_id} with {new_on_hand} x {row.sku} on hand "
            f"but {row.reserved} reserved",
            row.location_id,
            row.sku,
            row.on_hand,
            row.reserved,
        )


def _reread(uow: UnitOfWork, location_id: str, sku: str) -> StockRow:
    row = uow.inventory.stock(location_id, sku)
    assert row is not None
    return row
