"""Returns in the store: authorized lines kept per order, race-safe, and the restock of
what came back, with its ledger rows, in one transaction each.

Race safety: a return's ``number`` is unique per order. Two authorizations of one order
at once both read the same earlier returns and both try the next number; the database
lets one insert it and refuses the other (PostgreSQL makes it wait for the first to
commit), which then runs again, sees the winner's lines, and decides again. So no line
is ever authorized beyond what shipped, on SQLite (whose writers queue anyway) and on
PostgreSQL alike. The same ``request_id`` again answers the return it made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import col

from adapters.store.movements import locked_balance
from adapters.store.tables import LedgerEntryRow, ReturnLineRow, ReturnRow, utcnow
from adapters.store.unit_of_work import UnitOfWork
from adapters.store.views import MovementKind
from domain.return_states import Condition, ReturnStatus
from domain.returns import ReturnLine

# A return may move only forward: authorized -> received -> closed, or authorized -> expired.
_NEXT = {
    ReturnStatus.AUTHORIZED: {ReturnStatus.RECEIVED, ReturnStatus.EXPIRED, ReturnStatus.CLOSED},
    ReturnStatus.RECEIVED: {ReturnStatus.CLOSED},
}


class ReturnNumberTaken(Exception):
    """Another transaction took this return number first: decide again."""


@dataclass(frozen=True, slots=True)
class ReturnDraft:
    """What the caller decided a new return is: where it goes, and its lines."""

    location_id: str
    currency: str
    lines: list[ReturnLine]
    actor: str


@dataclass(frozen=True, slots=True)
class ReturnLineRecord:
    line_id: str
    sku: str
    quantity: int
    reason: str
    unit_price: Decimal | None
    sellable: int = 0
    damaged: int = 0


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    """A return as the store keeps it."""

    return_id: str
    order_id: str
    number: int
    request_id: str | None
    location_id: str
    status: ReturnStatus
    currency: str
    actor: str
    created_at: datetime
    lines: list[ReturnLineRecord] = field(default_factory=list)

    def authorized_lines(self) -> list[ReturnLine]:
        return [
            ReturnLine(
                line_id=line.line_id,
                sku=line.sku,
                quantity=line.quantity,
                reason=line.reason,
                unit_price=line.unit_price,
            )
            for line in self.lines
        ]


# Decides a new return given the units earlier live returns authorized (line_id -> units)
# and the number it will get; raises to refuse.
Decide = Callable[[dict[str, int], int], ReturnDraft]


def authorize(
    uow: UnitOfWork,
    order_id: str,
    request_id: str | None,
    decide: Decide,
    make_id: Callable[[int], str],
) -> tuple[ReturnRecord, bool]:
    """The return ``decide`` makes (created), or the one ``request_id`` made before."""
    if request_id is not None:
        earlier = _by_request(uow, order_id, request_id)
        if earlier is not None:
            return earlier, False
    rows = uow.session.scalars(
        _for_update(uow, sa.select(ReturnRow).where(col(ReturnRow.order_id) == order_id))
    ).all()
    live = [r.return_id for r in rows if r.status != ReturnStatus.EXPIRED.value]
    taken: dict[str, int] = {}
    for line in _lines_of(uow, live):
        taken[line.line_id] = taken.get(line.line_id, 0) + line.quantity
    number = max((r.number for r in rows), default=0) + 1
    draft = decide(taken, number)
    now = utcnow()
    row = ReturnRow(
        return_id=make_id(number),
        order_id=order_id,
        number=number,
        request_id=request_id,
        location_id=draft.location_id,
        status=ReturnStatus.AUTHORIZED.value,
        currency=draft.currency,
        actor=draft.actor,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    try:
        uow.flush()  # PostgreSQL: a twin with the same number waits here for us
    except sa.exc.IntegrityError:
        raise ReturnNumberTaken from None
    uow.session.add_all(
        ReturnLineRow(
            return_id=row.return_id,
            line_id=line.line_id,
            sku=line.sku,
            quantity=line.quantity,
            reason=line.reason,
            unit_price=None if line.unit_price is None else str(line.unit_price),
        )
        for line in draft.lines
    )
    uow.flush()
    record = find(uow, row.return_id)
    assert record is not None
    return record, True


def find(uow: UnitOfWork, return_id: str) -> ReturnRecord | None:
    row = uow.session.get(ReturnRow, return_id)
    return None if row is None else _record(row, _lines_of(uow, [return_id]))


def of_order(uow: UnitOfWork, order_id: str) -> list[ReturnRecord]:
    """The order's returns, the oldest first."""
    rows = uow.session.scalars(
        sa.select(ReturnRow)
        .where(col(ReturnRow.order_id) == order_id)
        .order_by(col(ReturnRow.number))
    ).all()
    return _records(uow, rows)


def to_location(
    uow: UnitOfWork, location_id: str, statuses: set[ReturnStatus]
) -> list[ReturnRecord]:
    """Returns coming back to ``location_id`` in one of ``statuses``, the oldest first."""
    rows = uow.session.scalars(
        sa.select(ReturnRow)
        .where(
            col(ReturnRow.location_id) == location_id,
            col(ReturnRow.status).in_([s.value for s in statuses]),
        )
        .order_by(col(ReturnRow.created_at))
        .limit(500)
    ).all()
    return _records(uow, rows)


def receive(
    uow: UnitOfWork, return_id: str, counted: Sequence[tuple[str, Condition, int]], actor: str
) -> dict[str, int]:
    """The location found ``counted`` (line_id, condition, units): sellable units go back
    on hand with a ``return`` ledger row each SKU, damaged ones are noted on the line.
    Idempotent: a return already received restocks nothing. The SKUs restocked (sku ->
    units), to wake the orders backordered on them."""
    row = uow.session.get(ReturnRow, return_id, with_for_update=True)
    if row is None:
        raise LookupError(f"no return {return_id!r}")
    if row.status != ReturnStatus.AUTHORIZED.value:
        return {}
    lines = {line.line_id: line for line in _line_rows(uow, [return_id])}
    restocked: dict[str, int] = {}
    for line_id, condition, units in counted:
        line = lines[line_id]
        if condition is Condition.SELLABLE:
            line.sellable += units
            restocked[line.sku] = restocked.get(line.sku, 0) + units
        else:
            line.damaged += units
    for sku, units in sorted(restocked.items()):  # lock order: (location, SKU)
        if units <= 0:
            continue
        locked_balance(uow, row.location_id, sku)
        uow.inventory.move(row.location_id, sku, on_hand=units)
        uow.inventory.record(
            MovementKind.RETURN,
            row.location_id,
            sku,
            on_hand=units,
            reason=f"return of order {row.order_id}",
            reference=return_id,
            actor=actor,
        )
    row.status, row.updated_at = ReturnStatus.RECEIVED.value, utcnow()
    uow.flush()
    return {sku: units for sku, units in restocked.items() if units > 0}


def set_status(uow: UnitOfWork, return_id: str, status: ReturnStatus) -> ReturnStatus:
    """Move the return forward to ``status`` (a move backwards or a repeat changes
    nothing); the status it has now."""
    row = uow.session.get(ReturnRow, return_id, with_for_update=True)
    if row is None:
        raise LookupError(f"no return {return_id!r}")
    current = ReturnStatus(row.status)
    if status in _NEXT.get(current, set()):
        row.status, row.updated_at = status.value, utcnow()
        return status
    return current


def returned_totals(uow: UnitOfWork) -> dict[tuple[str, str], int]:
    """(location_id, sku) -> sellable units received from returns (for the books' check)."""
    query = (
        sa.select(
            col(ReturnRow.location_id),
            col(ReturnLineRow.sku),
            sa.func.sum(col(ReturnLineRow.sellable)),
        )
        .join(ReturnRow, col(ReturnRow.return_id) == col(ReturnLineRow.return_id))
        .group_by(col(ReturnRow.location_id), col(ReturnLineRow.sku))
    )
    return {(loc, sku): int(units) for loc, sku, units in uow.session.execute(query) if units}


def ledger_returned(uow: UnitOfWork) -> dict[tuple[str, str], int]:
    """(location_id, sku) -> units the ledger's ``return`` rows put back on hand."""
    query = (
        sa.select(
            col(LedgerEntryRow.location_id),
            col(LedgerEntryRow.sku),
            sa.func.sum(col(LedgerEntryRow.on_hand_delta)),
        )
        .where(col(LedgerEntryRow.kind) == MovementKind.RETURN.value)
        .group_by(col(LedgerEntryRow.location_id), col(LedgerEntryRow.sku))
    )
    return {(loc, sku): int(units) for loc, sku, units in uow.session.execute(query) if units}


def _by_request(uow: UnitOfWork, order_id: str, request_id: str) -> ReturnRecord | None:
    row = uow.session.scalars(
        sa.select(ReturnRow).where(
            col(ReturnRow.order_id) == order_id, col(ReturnRow.request_id) == request_id
        )
    ).first()
    return None if row is None else _record(row, _lines_of(uow, [row.return_id]))


def _for_update(uow: UnitOfWork, query: sa.Select[ReturnRow]) -> sa.Select[ReturnRow]:
    """Lock the rows read (PostgreSQL; SQLite's writers already take turns)."""
    return query.with_for_update() if uow.session.bind.dialect.name == "postgresql" else query  # type: ignore[union-attr]


def _line_rows(uow: UnitOfWork, return_ids: list[str]) -> Sequence[ReturnLineRow]:
    if not return_ids:
        return []
    return uow.session.scalars(
        sa.select(ReturnLineRow)
        .where(col(ReturnLineRow.return_id).in_(return_ids))
        .order_by(col(ReturnLineRow.return_id), col(ReturnLineRow.line_id))
    ).all()


def _lines_of(uow: UnitOfWork, return_ids: list[str]) -> list[ReturnLineRecord]:
    return _lines_of_rows(list(_line_rows(uow, return_ids)))


def _records(uow: UnitOfWork, rows: Sequence[ReturnRow]) -> list[ReturnRecord]:
    lines: dict[str, list[ReturnLineRow]] = {}
    for line in _line_rows(uow, [r.return_id for r in rows]):
        lines.setdefault(line.return_id, []).append(line)
    return [_record(row, _lines_of_rows(lines.get(row.return_id, []))) for row in rows]


def _lines_of_rows(rows: list[ReturnLineRow]) -> list[ReturnLineRecord]:
    return [
        ReturnLineRecord(
            line_id=r.line_id,
            sku=r.sku,
            quantity=r.quantity,
            reason=r.reason,
            unit_price=None if r.unit_price is None else Decimal(r.unit_price),
            sellable=r.sellable,
            damaged=r.damaged,
        )
        for r in rows
    ]


def _record(row: ReturnRow, lines: list[ReturnLineRecord]) -> ReturnRecord:
    return ReturnRecord(
        return_id=row.return_id,
        order_id=row.order_id,
        number=row.number,
        request_id=row.request_id,
        location_id=row.location_id,
        status=ReturnStatus(row.status),
        currency=row.currency,
        actor=row.actor,
        created_at=row.created_at,
        lines=lines,
    )
