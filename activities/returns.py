"""Return side effects as activities: the restock and the store's copy of a return's
status. Both idempotent: a received return restocks nothing again, a status never
moves backwards."""

from __future__ import annotations

import asyncio

from temporalio import activity

from activities.errors import business_errors_are_final
from activities.inventory import OrdersOfThisWorker
from activities.names import RECEIVE_RETURN, SET_RETURN_STATUS
from adapters.store import InventoryStore
from domain.returns import Restock, ReturnStatusChange
from services.backorders import StockFreed, stock_freed
from services.ports import StockListeners


class ReturnActivities:
    """``orders``: who hears that stock arrived (default: the orders, through the client
    this activity's worker runs on)."""

    def __init__(self, store: InventoryStore, orders: StockListeners | None = None) -> None:
        self._store = store
        self._orders = orders

    @activity.defn(name=RECEIVE_RETURN)
    @business_errors_are_final
    async def receive_return(self, restock: Restock) -> int:
        """Sellable units back on hand at the return location (a ``return`` ledger row
        each SKU, by the reporting location), damaged ones noted; then the orders
        backordered on the restocked SKUs are woken, as after a receipt. The units
        restocked by this call (0 on a retry of one that went through)."""
        counted = [(line.line_id, line.condition, line.quantity) for line in restock.lines]
        restocked = await asyncio.to_thread(
            self._store.receive_return, restock.return_id, counted, actor=restock.actor
        )
        if restocked:
            orders = self._orders or OrdersOfThisWorker()
            await stock_freed(self._store, orders, StockFreed.of(restocked))
        return sum(restocked.values())

    @activity.defn(name=SET_RETURN_STATUS)
    @business_errors_are_final
    def set_return_status(self, change: ReturnStatusChange) -> str:
        """Move the store's copy of the return forward (closed, expired)."""
        return self._store.set_return_status(change.return_id, change.status).value
