"""A long backorder continues as new, and the order goes on as if nothing happened: the
same view, timeline and search attributes, fulfillment numbers and allocation keys that
never repeat, a repeated location event still answered ``duplicate``; then stock
arrives and it ships. A real Temporal dev server (the time-skipping test server does not
answer queries to a run that continued as new), the real store and inventory activities.

Two ways to get there in a few dozen stock signals: the server suggesting it (a dev
server whose suggestion comes after 60 events instead of Temporal's 4,096: the
recorded histories come from this one, and replay with the code as it is), or the
history passing ``HISTORY_LIMIT``, lowered (on the shared dev server, which never
suggests it this early)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.errors import InvalidTransition
from domain.fulfillment import LocationEvent
from domain.ids import order_workflow_id
from domain.models import FulfillmentStatus, OrderStatus
from starter.bootstrap.temporal import data_converter, ensure_search_attributes, temporal_cli_path
from tests.support.builders import order_request as order
from tests.support.data import HISTORIES
from tests.support.keys import TEST_KEYS
from tests.support.workflows import rig, settle, until
from workflows import continuation, search

S = FulfillmentStatus
LOW_LIMIT = 60  # events: a fresh run passes it after about half a dozen stock signals


@pytest_asyncio.fixture(scope="module")
async def suggesting_env() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server that suggests continue-as-new after ``LOW_LIMIT`` history events."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli_path()),
        data_converter=data_converter(TEST_KEYS.encryption),
        dev_server_extra_args=[
            "--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true",
            "--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={LOW_LIMIT}",
        ],
    )  # fmt: skip
    await ensure_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(params=["suggested", "history_limit"])
async def env(
    request: pytest.FixtureRequest,
    dev_env: WorkflowEnvironment,
    suggesting_env: WorkflowEnvironment,
    monkeypatch: pytest.MonkeyPatch,
) -> WorkflowEnvironment:
    """Where the order runs, and why it will continue as new."""
    if request.param == "suggested":
        return suggesting_env
    monkeypatch.setattr(continuation, "HISTORY_LIMIT", LOW_LIMIT)
    await ensure_search_attributes(dev_env.client)
    return dev_env


async def runs_of(env: WorkflowEnvironment, workflow_id: str, first_run: str) -> list[str]:
    """The order's run ids, first to last, following each run's continue-as-new."""
    runs = [first_run]
    while True:
        handle: WorkflowHandle = env.client.get_workflow_handle(workflow_id, run_id=runs[-1])
        last = [e async for e in handle.fetch_history_events()][-1]
        if last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            return runs
        runs.append(last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id)


async def test_a_long_backorder_continues_as_new_and_still_ships(
    env: WorkflowEnvironment, task_queue: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    record = os.environ.get("SWITCHYARD_RECORD_HISTORIES") == "1"
    workflow_id = order_workflow_id("CAN1")
    async with rig(env, task_queue, tmp_path) as r:
        # Two RARE at WH-EAST only; the warehouse finds none, so the order waits for stock.
        r.store.receive("WH-EAST", "RARE", 2, reference="PO-1", actor="test")
        await r.place(order("CAN1", lines=[{"line_id": "1", "sku": "RARE", "quantity": 2}]))
        first = await r.package("CAN1", 1)
        await r.event(first, "accepted", event_id="wms-1")
        await r.event(first, "short", event_id="wms-2", lines=[{"sku": "RARE", "quantity": 0}])
        await until(env, "CAN1", lambda v: v.status is OrderStatus.BACKORDERED, "backordered")
        before = await r.gateway.get_order("CAN1")
        first_run = (await r.gateway.client.get_workflow_handle(workflow_id).describe()).run_id
        assert first_run is not None

        # Stock signals that find nothing: each wakes the order and grows its history
        # (signals that arrive together share a workflow task: how many it takes varies).
        # With each, the WMS repeats an event the first run took: some repeats race a
        # continue-as-new (the server hands those to the next run), and each is answered.
        repeat = LocationEvent(type="accepted", event_id="wms-1")
        runs = [first_run]
        for sent in range(1, 401):
            woken, receipt = await asyncio.gather(
                r.gateway.stock_arrived(["CAN1"], ["RARE"]),
                r.gateway.report_event("WH-EAST", first, repeat, actor="test"),
            )
            assert woken == 1
            # The first run's repeats get the first answer back from Temporal (the package
            # as it was then, accepted); a later run answers with the package as it is.
            assert receipt.duplicate and receipt.status in (S.ACCEPTED, S.SHORT), receipt
            await until(env, "CAN1", lambda v: True, "answering")
            if sent % 10 == 0:
                runs = await runs_of(env, workflow_id, first_run)
                if len(runs) >= 3:
                    break
        assert len(runs) >= 3, runs  # it continued as new, more than once
        described = await r.gateway.client.get_workflow_handle(workflow_id).describe()
        assert described.run_id == runs[-1]
        # Each run stays near the limit: none grew without bound.
        for run in runs[:-1]:
            handle = env.client.get_workflow_handle(workflow_id, run_id=run)
            length = len([e async for e in handle.fetch_history_events()])
            assert length < 2 * LOW_LIMIT, (run, length)
        assert described.typed_search_attributes.get(search.ORDER_STATUS) == "backordered"

        # The order answers as it did before: its view, timeline and packages.
        after = await r.gateway.get_order("CAN1")
        assert after.status is OrderStatus.BACKORDERED
        assert after.backordered == before.backordered
        assert after.backorder_until == before.backorder_until
        assert after.reroutes == before.reroutes == 1
        assert after.fulfillments == before.fulfillments
        # A backorder keeps its first decision and its latest retry, not one per signal.
        assert len(after.routing_history) == 3, after.routing_history
        assert after.routing_history[:2] == before.routing_history[:2]
        assert after.events == before.events  # no entry lost, none added, "received" once
        assert [e.type for e in after.events].count("received") == 1

        # Searches list the order once (its earlier runs closed as ContinuedAsNew).
        async def listed() -> list[str | None]:
            found = await r.gateway.find_orders(sku="RARE", limit=200)
            return [o.status for o in found if o.order_id == "CAN1"]

        for _ in range(50):
            if await listed() == ["backordered"]:
                break
            await asyncio.sleep(0.1)
        assert await listed() == ["backordered"]

        # A repeat of an event the first run took: answered from the order's own state.
        package = await r.gateway.fulfillment(first)
        receipt = await r.gateway.report_event("WH-EAST", first, repeat, actor="test")
        assert receipt.duplicate and receipt.status is S.SHORT
        with pytest.raises(InvalidTransition):
            await r.gateway.report_event(
                "WH-EAST", first, LocationEvent(type="picked", event_id="wms-3"), actor="test"
            )
        assert (await r.gateway.fulfillment(first)) == package

        # Stock arrives elsewhere (WH-EAST stays excluded): the next package is F2, not
        # F1 again, under an allocation key of its own; then it ships.
        r.store.receive("3PL-WEST", "RARE", 5, reference="PO-2", actor="test")
        assert await r.gateway.stock_arrived(r.store.backordered_orders(["RARE"]), ["RARE"]) == 1
        second = await r.package("CAN1", 2)
        assert (await r.gateway.fulfillment(second)).location_id == "3PL-WEST"
        await r.ship(second)
        final = await settle(env, "CAN1")
        if record and request.node.callspec.params["env"] == "suggested":
            # The rig records the last run (order-CAN1.json); the first, which continued
            # as new, beside it.
            handle = env.client.get_workflow_handle(workflow_id, run_id=runs[0])
            history = await handle.fetch_history()
            (HISTORIES / "order-CAN1-run1.json").write_text(history.to_json())
    assert final.status is OrderStatus.SHIPPED
    assert [f.fulfillment_id for f in final.fulfillments] == [first, second]
    assert [d.status for d in final.routing_history] == [
        "routed",
        "unfulfillable",
        "unfulfillable",
        "routed",
    ]
    assert [f.status for f in final.fulfillments] == [S.SHORT, S.SHIPPED]
    assert [e.type for e in final.events][:1] == ["received"]
    r.assert_books_balance(final)
    assert r.store.backordered_orders(["RARE"]) == []
