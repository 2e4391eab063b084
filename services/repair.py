"""Free what a closed order still holds: the repair for an order that ran no compensation.

An order workflow releases everything it holds whichever way it ends, except one: a
``temporal workflow terminate`` (or a namespace reset, a history deleted by retention)
stops it without running any code. Its reservations then outlive it. This finds orders
whose workflow is closed or gone yet still hold units, and releases them with a ledger
row that says why. An order still running is never touched: cancel it instead.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import RepairRefused
from domain.ids import order_workflow_id
from services import inventory
from services.ports import OrderGateway, Reservations, ReservationStore


class Repaired(BaseModel):
    """What a repair did for one order."""

    order_id: str
    workflow: str  # how Temporal knows it: terminated, failed, completed, ... or "no such order"
    released_units: int


async def workflow_state(gateway: OrderGateway, order_id: str) -> str | None:
    """None if the order's workflow is running; else how it ended ("no such order")."""
    handle = gateway.client.get_workflow_handle(order_workflow_id(order_id))
    try:
        status = (await handle.describe()).status
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        return "no such order"
    if status == WorkflowExecutionStatus.RUNNING:
        return None
    return status.name.lower() if status else "unknown"


async def release_closed_order(
    store: Reservations, gateway: OrderGateway, order_id: str, *, actor: str
) -> Repaired:
    """Release what ``order_id`` holds if its workflow has closed; ``RepairRefused`` if it
    still runs (the workflow owns its units then). Idempotent: a repeat releases nothing."""
    state = await workflow_state(gateway, order_id)
    if state is None:
        raise RepairRefused(
            f"order {order_id} is still running and holds its own units; cancel it instead"
        )
    released = await inventory.release(
        store,
        gateway,
        order_id,
        reason=f"order {order_id} is {state} in Temporal and ran no compensation; repaired",
        actor=actor,
    )
    return Repaired(order_id=order_id, workflow=state, released_units=sum(released.values()))


async def repair_closed_orders(
    store: ReservationStore, gateway: OrderGateway, *, actor: str
) -> list[Repaired]:
    """``release_closed_order`` for every order that holds units without a running workflow."""
    holding = sorted({r.order_id for r in await asyncio.to_thread(store.open_reservations)})
    repaired = []
    for order_id in holding:
        if await workflow_state(gateway, order_id) is not None:
            repaired.append(await release_closed_order(store, gateway, order_id, actor=actor))
    return repaired
