"""Workers on a Temporal test server for workflow tests: the real workflows with fake
activities (``fake_worker``), or with the real routing engine, the real store (SQLite) and
real inventory activities, only the location calls recorded instead of sent (``rig``);
and ways to wait for an order."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.inventory import InventoryActivities
from adapters.store import InventoryStore
from domain.checkout import OrderRequest
from domain.fulfillment import LocationEvent
from domain.ids import order_workflow_id
from domain.models import FulfillmentStatus, OrderStatus, PlacedOrder
from domain.network_file import load_network
from domain.orders import OrderView
from starter.bootstrap.keys import personal_vault
from starter.gateway.orders import OrderGateway
from tests.support.data import HISTORIES, WORKFLOW_NETWORK
from tests.support.fakes import FakeInventory, FakeLocations
from tests.support.keys import TEST_KEYS
from workflows.order import OrderWorkflow
from workflows.runner import WORKFLOWS, workflow_runner


async def settle(
    env: WorkflowEnvironment,
    order_id: str,
    *,
    step: timedelta = timedelta(minutes=10),
    limit: timedelta = timedelta(days=30),
) -> OrderView:
    """Skip time in steps until the order reaches a final status; its final view.

    (The test server skips time by itself only for a handle returned by start_workflow,
    so orders started through the gateway are driven explicitly with env.sleep.)"""
    handle = env.client.get_workflow_handle_for(OrderWorkflow.run, order_workflow_id(order_id))
    skipped = timedelta(0)
    while True:
        view = await handle.query(OrderWorkflow.state)
        if view.status.is_final:
            await handle.result()  # the workflow has ended, not just decided
            return await handle.query(OrderWorkflow.state)
        if skipped >= limit:
            raise AssertionError(f"order {order_id} still {view.status.value} after {limit}")
        await env.sleep(step)
        skipped += step
        await asyncio.sleep(0.05)  # let the worker take the tasks the skip released


async def until(
    env: WorkflowEnvironment, order_id: str, predicate: Callable[[OrderView], bool], what: str
) -> OrderView:
    """Poll the order's state (real time, no skipping) until ``predicate`` holds."""
    handle = env.client.get_workflow_handle_for(OrderWorkflow.run, order_workflow_id(order_id))
    for _ in range(400):
        view = await handle.query(OrderWorkflow.state)
        if predicate(view):
            return view
        await asyncio.sleep(0.025)
    raise AssertionError(f"order {order_id} never became {what}: {view.status.value}")


@asynccontextmanager
async def fake_worker(
    env: WorkflowEnvironment, task_queue: str, fake: FakeInventory
) -> AsyncIterator[OrderGateway]:
    """A worker running the real workflows with ``fake``'s activities; yields a gateway."""
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=fake.activities(),
        workflow_runner=workflow_runner(),
    ):
        yield OrderGateway(
            env.client, task_queue, search_hash_key=TEST_KEYS.search_hash, vault=None
        )


@dataclass
class Rig:
    env: WorkflowEnvironment
    gateway: OrderGateway
    store: InventoryStore
    locations: FakeLocations

    async def place(self, order: OrderRequest | PlacedOrder, **options: object) -> None:
        """Place it as the API does (``options``: ``OrderGateway.place_order``'s)."""
        _started.append(order.order_id)
        await self.gateway.place_order(order, **options)  # type: ignore[arg-type]

    async def event(self, fulfillment_id: str, type_: str, **fields: object) -> None:
        view = await self.gateway.fulfillment(fulfillment_id)
        await self.gateway.report_event(
            view.location_id, fulfillment_id, LocationEvent(type=type_, **fields), actor="test"
        )

    async def ship(self, fulfillment_id: str, tracking: str = "1ZTEST") -> None:
        """Report the steps still to come, then shipped."""
        steps = ["accepted", "picked", "packed"]
        status = (await self.gateway.fulfillment(fulfillment_id)).status.value
        for step in steps[steps.index(status) + 1 if status in steps else 0 :]:
            await self.event(fulfillment_id, step)
        await self.event(fulfillment_id, "shipped", carrier="UPS", tracking_number=tracking)

    async def package(self, order_id: str, number: int) -> str:
        """Wait until the order's ``number``-th package exists; its fulfillment id."""
        fid = f"{order_id}-F{number}"
        await until(
            self.env,
            order_id,
            lambda v: (
                any(f.fulfillment_id == fid for f in v.fulfillments)
                and fid in self.locations.dispatched
            ),
            f"dispatching {fid}",
        )
        return fid

    def assert_books_balance(self, view: OrderView) -> None:
        """Every open reservation belongs to an open fulfillment; every delivered package's
        units were committed exactly once; nothing else holds stock; the ledger adds up."""
        reservations = self.store.reservations(view.order_id)
        open_ids = {f.fulfillment_id for f in view.fulfillments if f.status.is_open}
        for r in reservations:
            if r.status == "open":
                assert r.fulfillment_id in open_ids, f"leaked reservation {r}"
        for f in view.fulfillments:
            committed = {
                r.sku: r.quantity
                for r in reservations
                if r.fulfillment_id == f.fulfillment_id and r.status == "committed"
            }
            if f.status in (FulfillmentStatus.SHIPPED, FulfillmentStatus.PICKED_UP):
                assert committed == {line.sku: line.quantity for line in f.lines}, f
            else:
                assert not committed, f"{f.fulfillment_id} ({f.status}) committed {committed}"
        if view.status.is_final:
            assert not [r for r in reservations if r.status == "open"]
        if view.status is OrderStatus.SHIPPED:
            shipped = sum(r.quantity for r in reservations if r.status == "committed")
            assert shipped == sum(line.quantity for line in view.lines)
        assert self.store.check_ledger() == []


async def _record_histories(env: WorkflowEnvironment, gateway: OrderGateway) -> None:
    """Save each finished order's history for the replay test.
    Runs only with SWITCHYARD_RECORD_HISTORIES=1 (see tests/histories/README.md)."""
    HISTORIES.mkdir(exist_ok=True)
    for order_id in _started:
        handle = env.client.get_workflow_handle(order_workflow_id(order_id))
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            continue  # closed ones only: completed, cancelled (in Temporal) or failed
        history = await handle.fetch_history()
        (HISTORIES / f"{handle.id}.json").write_text(history.to_json())


async def _terminate_leftovers(env: WorkflowEnvironment, store: InventoryStore) -> None:
    """A test that failed midway must not leave workflows retrying on the shared test
    server (pending activities there stop time-skipping for every later test)."""
    order_ids = {r.order_id for r in store.open_reservations()} | set(_started)
    for order_id in order_ids:
        handle = env.client.get_workflow_handle(order_workflow_id(order_id))
        with contextlib.suppress(Exception):
            await handle.terminate("test over")
    _started.clear()


_started: list[str] = []


def _activity_name(fn: Callable[..., Any]) -> str:
    name = activity._Definition.must_from_callable(fn).name
    if name is None:
        raise ValueError(f"{fn!r} is a dynamic activity: it has no name to replace")
    return name


@asynccontextmanager
async def rig(
    env: WorkflowEnvironment,
    task_queue: str,
    tmp_path: Path,
    *,
    replace: Sequence[Callable[..., Any]] = (),
) -> AsyncIterator[Rig]:
    """The real activities on a fresh store; ``replace`` swaps some for others of the
    same activity name (a failing one, say)."""
    store = InventoryStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    store.load_network(load_network(WORKFLOW_NETWORK))
    locations = FakeLocations()
    inventory = InventoryActivities(store)
    executor = ThreadPoolExecutor(max_workers=8)
    real: list[Callable[..., Any]] = [
        inventory.allocate,
        inventory.release_reservations,
        inventory.commit_shipment,
        inventory.record_shortfall,
        inventory.record_backorder,
        locations.dispatch,
        locations.cancel,
    ]
    activities = {_activity_name(fn): fn for fn in [*real, *replace]}
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=list(activities.values()),
        workflow_runner=workflow_runner(),
        activity_executor=executor,
        max_concurrent_activities=8,
    ):
        gateway = OrderGateway(
            env.client,
            task_queue,
            search_hash_key=TEST_KEYS.search_hash,
            vault=personal_vault(store, TEST_KEYS),
        )
        try:
            yield Rig(env, gateway, store, locations)
            if os.environ.get("SWITCHYARD_RECORD_HISTORIES") == "1":
                await _record_histories(env, gateway)
        finally:
            await _terminate_leftovers(env, store)
    executor.shutdown(wait=False)
    await asyncio.to_thread(store.close)
