"""Backorders: which orders wait for which SKUs, and the one handler that wakes them
when units come free.

Every path that frees units (a receipt, an adjustment or count up, a release, a repair)
ends in ``stock_freed``, after its change committed: the rule "who is woken, and what
a failure to wake means" lives here once (cosmicpython's ``StockFreed`` event, handled
in one place).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from services.ports import Backorders, StockListeners

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StockFreed:
    """Units of ``skus`` came free (on hand rose, or a reservation was given back)."""

    skus: tuple[str, ...]
    freed_by: str | None = None
    """The order that gave the units back, if one did: it is not woken by its own units."""

    @classmethod
    def of(cls, skus: Iterable[str], *, freed_by: str | None = None) -> StockFreed:
        return cls(tuple(sorted(set(skus))), freed_by)


def record_backorder(store: Backorders, order_id: str, skus: list[str]) -> None:
    """Note which SKUs the order waits for, so a receipt, count or release can wake it."""
    store.record_backorder(order_id, skus)


async def stock_freed(store: Backorders, orders: StockListeners, event: StockFreed) -> list[str]:
    """Tell the orders backordered on the freed SKUs that availability rose; the orders told.

    Called after the change committed, whatever freed the units. A failure here must not
    undo the change: it is logged, and backordered orders re-check stock on their own
    timer as well."""
    if not event.skus:
        return []
    try:
        waiting = await asyncio.to_thread(store.backordered_orders, event.skus)
        waiting = [order_id for order_id in waiting if order_id != event.freed_by]
        if waiting:
            await orders.stock_arrived(waiting, list(event.skus))
        return waiting
    except Exception:
        log.warning("could not wake the orders backordered on %s", list(event.skus), exc_info=True)
        return []
