"""Signals to running orders that need no more than a Temporal client.

Kept apart from the order gateway (which holds the order workflow's typed handles) so an
activity can wake orders without importing the workflow that imports the activities.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.ids import order_workflow_id

# The order workflow's signal, by its name on the wire (tests/workflows/test_wire_names.py
# checks it against ``OrderWorkflow.stock_arrived``).
STOCK_ARRIVED = "stock_arrived"
# A Temporal that does not answer fails the signal (a receipt is still recorded; the
# backordered order re-checks stock on its own timer) instead of hanging the caller.
SIGNAL_RPC_TIMEOUT = timedelta(seconds=5)


async def tell_stock_arrived(client: Client, order_ids: list[str], skus: list[str]) -> int:
    """Signal each order that availability of ``skus`` rose; the orders told. An order that
    has already ended is skipped (it no longer waits)."""
    told = 0
    for order_id in order_ids:
        handle = client.get_workflow_handle(order_workflow_id(order_id))
        try:
            await handle.signal(STOCK_ARRIVED, sorted(skus), rpc_timeout=SIGNAL_RPC_TIMEOUT)
            told += 1
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
    return told
