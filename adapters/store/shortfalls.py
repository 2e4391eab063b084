"""Short picks: a picker found fewer units than were reserved for a fulfillment.

The books follow the shelf: the fulfillment's reservation shrinks by the missing units
(a ``release``) and the location's on-hand figure drops by them (an ``adjustment``,
reason "short pick", referencing the fulfillment), in one transaction, once per key.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from adapters.store.errors import InvalidQuantity
from adapters.store.movements import locked_balance, require_known
from adapters.store.tables import ShortfallRow, utcnow
from adapters.store.unit_of_work import UnitOfWork
from adapters.store.views import MovementKind, ReservationStatus

SHORT_PICK = "short pick"


class ShortfallAlreadyRecorded(Exception):
    """A concurrent transaction recorded the same key first (PostgreSQL only)."""


def record_shortfall(
    uow: UnitOfWork,
    order_id: str,
    fulfillment_id: str,
    location_id: str,
    missing: dict[str, int],
    key: str,
    actor: str,
) -> bool:
    """Apply a short pick once; False (and nothing changed) if ``key`` was applied before.

    Per SKU, the open reservation of (order, fulfillment, SKU) at ``location_id`` shrinks
    by the missing units and is released when nothing is left of it; on_hand drops by the
    missing units, but never below what other reservations hold there (units the books
    cannot take from this fulfillment's reservation must still be on the shelf for
    someone else's, so a later count settles them).
    """
    for sku, units in missing.items():
        if units <= 0:
            raise InvalidQuantity(f"a short pick misses a positive number of {sku}, not {units}")
    if uow.inventory.shortfall(key) is not None:
        return False
    uow.inventory.add_shortfall(
        ShortfallRow(
            key=key,
            order_id=order_id,
            fulfillment_id=fulfillment_id,
            location_id=location_id,
            missing=dict(sorted(missing.items())),
            actor=actor,
        )
    )
    try:
        uow.flush()  # on PostgreSQL, a concurrent twin waits here for the first to finish
    except IntegrityError:
        raise ShortfallAlreadyRecorded from None
    for sku in sorted(missing):
        require_known(uow, location_id, sku)
    # Lock order as in release and commit_shipment: reservations first, then balances.
    held = {
        row.sku: row
        for row in uow.inventory.reservations(
            order_id, fulfillment_id, status=ReservationStatus.OPEN, for_update=True
        )
        if row.location_id == location_id
    }
    for sku, units in sorted(missing.items()):
        reservation = held.get(sku)
        shrink = min(units, reservation.quantity) if reservation is not None else 0
        balance = locked_balance(uow, location_id, sku)
        if reservation is not None and shrink:
            reservation.quantity -= shrink
            reservation.updated_at = utcnow()
            if reservation.quantity == 0:
                reservation.status = ReservationStatus.RELEASED.value
            uow.inventory.move(location_id, sku, reserved=-shrink)
            uow.inventory.record(
                MovementKind.RELEASE,
                location_id,
                sku,
                reserved=-shrink,
                reason=SHORT_PICK,
                reference=fulfillment_id,
                actor=actor,
            )
        others_hold = balance.reserved - shrink
        drop = max(0, min(units, balance.on_hand - others_hold))
        if drop:
            uow.inventory.move(location_id, sku, on_hand=-drop)
            uow.inventory.record(
                MovementKind.ADJUSTMENT,
                location_id,
                sku,
                on_hand=-drop,
                reason=SHORT_PICK,
                reference=fulfillment_id,
                actor=actor,
            )
    return True
