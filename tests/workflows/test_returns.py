"""A return's workflow on the time-skipping server, with the real store (SQLite) and the
real return activities: received sellable (stock back, ledger row) or damaged (not
restocked), a repeated report, a report that does not fit, and a return that expires."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.names import PUBLISH_EVENT
from activities.returns import ReturnActivities
from adapters.store import InventoryStore
from adapters.store.returns import ReturnDraft
from domain.errors import ReturnEventRefused, UnknownReturn
from domain.events import EventType, PublishedEvent
from domain.ids import return_id, return_workflow_id
from domain.return_states import ReturnStatus
from domain.returns import ReturnReport, ReturnRequest, ReturnView, authorize
from services.returns import view_of
from starter.gateway.orders import TemporalBusy
from starter.gateway.returns import ReturnGateway
from tests.support.builders import small_network
from tests.support.data import HISTORIES
from tests.support.returns import shipped_order
from workflows.returns import ReturnWorkflow
from workflows.runner import WORKFLOWS, workflow_runner

EVENTS = [EventType.RETURN_AUTHORIZED.value, EventType.RETURN_RECEIVED.value]


@dataclass
class Subscribers:
    events: list[PublishedEvent] = field(default_factory=list)

    @activity.defn(name=PUBLISH_EVENT)
    async def publish(self, event: PublishedEvent) -> int:
        self.events.append(event)
        return 1


@dataclass
class Listeners:
    """Stands in for the backordered orders: records who was told stock arrived."""

    told: list[tuple[list[str], list[str]]] = field(default_factory=list)

    async def stock_arrived(self, order_ids: list[str], skus: list[str]) -> int:
        self.told.append((order_ids, skus))
        return len(order_ids)


@dataclass
class Desk:
    env: WorkflowEnvironment
    store: InventoryStore
    gateway: ReturnGateway
    subscribers: Subscribers
    listeners: Listeners

    async def authorize(self, order_id: str, widgets: int = 2, *, start: bool = True) -> ReturnView:
        """Authorize ``widgets`` WIDGETs of a shipped order back to EAST, as the API does
        (``start`` False: as an API that died between the store and Temporal)."""
        order = shipped_order(order_id, widgets=2)
        request = ReturnRequest.model_validate(
            {"lines": [{"line_id": "1", "quantity": widgets, "reason": "wrong size"}]}
        )

        def decide(earlier: dict[str, int], number: int) -> ReturnDraft:
            lines = authorize(order, request, earlier, now=datetime.now(UTC), window=timedelta(30))
            return ReturnDraft("EAST", "USD", lines, "support:sam")

        record, _ = self.store.authorize_return(order_id, decide, lambda n: return_id(order_id, n))
        view = view_of(record)
        if start:
            assert await self.gateway.start(view, EVENTS)
        return view

    async def received(self, view: ReturnView, *lines: tuple[int, str], event_id: str = "rcv-1"):  # type: ignore[no-untyped-def]
        report = ReturnReport.model_validate(
            {
                "type": "received",
                "event_id": event_id,
                "lines": [{"line_id": "1", "quantity": q, "condition": c} for q, c in lines],
            }
        )
        return await self.gateway.report(view, "EAST", report, actor="location:EAST:ann")

    async def outcome(self, view: ReturnView) -> ReturnView:
        handle = self.env.client.get_workflow_handle_for(
            ReturnWorkflow.run, return_workflow_id(view.return_id)
        )
        final = await handle.result()
        if os.environ.get("SWITCHYARD_RECORD_HISTORIES") == "1":
            history = await handle.fetch_history()
            (HISTORIES / f"{handle.id}.json").write_text(history.to_json())
        return final


@asynccontextmanager
async def desk(env: WorkflowEnvironment, task_queue: str, tmp_path: Path) -> AsyncIterator[Desk]:
    store = InventoryStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    store.load_network(small_network())
    subscribers = Subscribers()
    listeners = Listeners()
    returns = ReturnActivities(store, listeners)
    executor = ThreadPoolExecutor(max_workers=4)
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[returns.receive_return, returns.set_return_status, subscribers.publish],
        workflow_runner=workflow_runner(),
        activity_executor=executor,
    ):
        yield Desk(env, store, ReturnGateway(env.client, task_queue), subscribers, listeners)
    executor.shutdown(wait=False)
    store.close()


async def test_sellable_units_go_back_on_hand_with_a_ledger_row_and_the_refund_is_told(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with desk(time_env, task_queue, tmp_path) as d:
        before = d.store.balance("EAST", "WIDGET").on_hand
        view = await d.authorize("RS1")
        receipt = await d.received(view, (2, "sellable"))
        assert (receipt.status, receipt.duplicate) == (ReturnStatus.RECEIVED, False)
        final = await d.outcome(view)
        assert final.status is ReturnStatus.CLOSED
        assert [e.type for e in final.events] == ["authorized", "received", "closed"]
        assert d.store.balance("EAST", "WIDGET").on_hand == before + 2
        (row, *_) = d.store.ledger("EAST", "WIDGET")
        assert (row.kind, row.on_hand_delta, row.reference) == ("return", 2, "RS1-R1")
        assert row.actor == "location:EAST:ann"
        assert d.store.check_ledger() == []
        record = d.store.return_record("RS1-R1")
        assert record is not None and record.status is ReturnStatus.CLOSED
        kinds = sorted(e.type.value for e in d.subscribers.events)
        assert kinds == ["return.authorized", "return.received"]
        told = next(e for e in d.subscribers.events if e.type is EventType.RETURN_RECEIVED)
        assert told.id == "RS1-R1:E2" and told.order_id == "RS1"
        assert told.data["refund"] == "48.00" and told.data["currency"] == "USD"
        assert told.data["counts"] == {"sellable": 2, "damaged": 0}


async def test_a_restock_wakes_the_orders_backordered_on_it(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with desk(time_env, task_queue, tmp_path) as d:
        d.store.record_backorder("WAITING-1", ["WIDGET"])
        view = await d.authorize("RS6", widgets=1)
        await d.received(view, (1, "sellable"))
        await d.outcome(view)
        assert d.listeners.told == [(["WAITING-1"], ["WIDGET"])]


async def test_damaged_units_are_recorded_and_not_restocked(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with desk(time_env, task_queue, tmp_path) as d:
        before = d.store.balance("EAST", "WIDGET").on_hand
        view = await d.authorize("RS2")
        await d.received(view, (1, "sellable"), (1, "damaged"))
        final = await d.outcome(view)
        assert final.counts() == {"sellable": 1, "damaged": 1}
        assert final.refund == Decimal("48.00")
        assert d.store.balance("EAST", "WIDGET").on_hand == before + 1
        record = d.store.return_record("RS2-R1")
        assert record is not None
        assert (record.lines[0].sellable, record.lines[0].damaged) == (1, 1)
        assert d.store.check_ledger() == []
        assert d.listeners.told == []  # nobody waits for widgets


async def test_a_repeated_report_is_a_duplicate_before_and_after_the_return_closed(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with desk(time_env, task_queue, tmp_path) as d:
        before = d.store.balance("EAST", "WIDGET").on_hand
        view = await d.authorize("RS3", widgets=1)
        first = await d.received(view, (1, "sellable"))
        again = await d.received(view, (1, "sellable"))
        assert (first.duplicate, again.duplicate) == (False, True)
        await d.outcome(view)
        after_close = await d.received(view, (1, "sellable"))
        assert after_close.duplicate  # Temporal answers it from the first update
        with pytest.raises(ReturnEventRefused, match="already closed"):
            await d.received(view, (1, "sellable"), event_id="rcv-2")
        assert d.store.balance("EAST", "WIDGET").on_hand == before + 1  # once


async def test_a_return_whose_workflow_never_started_is_started_by_the_locations_report(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with desk(time_env, task_queue, tmp_path) as d:
        before = d.store.balance("EAST", "WIDGET").on_hand
        view = await d.authorize("RS8", widgets=1, start=False)  # the API died here
        receipt = await d.received(view, (1, "sellable"))
        assert (receipt.status, receipt.duplicate) == (ReturnStatus.RECEIVED, False)
        assert (await d.outcome(view)).status is ReturnStatus.CLOSED
        assert d.store.balance("EAST", "WIDGET").on_hand == before + 1


async def test_a_report_that_does_not_fit_changes_nothing(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with desk(time_env, task_queue, tmp_path) as d:
        view = await d.authorize("RS4", widgets=1)
        with pytest.raises(ReturnEventRefused, match=r"2 unit.*1 were authorized"):
            await d.received(view, (2, "sellable"))
        report = ReturnReport.model_validate(
            {"type": "received", "event_id": "x", "lines": [
                {"line_id": "1", "quantity": 1, "condition": "sellable"}]}
        )  # fmt: skip
        with pytest.raises(UnknownReturn):
            await d.gateway.report(view, "WEST", report, actor="location:WEST:bo")
        assert (await d.gateway.get(view)).status is ReturnStatus.AUTHORIZED
        await d.received(view, (1, "damaged"))
        assert (await d.outcome(view)).status is ReturnStatus.CLOSED


async def test_a_return_nothing_came_back_for_expires(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with desk(time_env, task_queue, tmp_path) as d:
        view = await d.authorize("RS5")
        await d.env.sleep(timedelta(days=61))
        final = await d.outcome(view)
        assert final.status is ReturnStatus.EXPIRED
        assert final.events[-1].type == "expired"
        record = d.store.return_record("RS5-R1")
        assert record is not None and record.status is ReturnStatus.EXPIRED
        kinds = [e.type.value for e in d.subscribers.events]
        assert kinds == ["return.authorized"]


async def test_a_report_no_worker_takes_is_a_busy_answer_not_a_bug(
    dev_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    """(On the real-time dev server: nothing here needs time to pass.)"""
    store = InventoryStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    store.load_network(small_network())
    nobody = ReturnGateway(dev_env.client, task_queue)  # no worker polls it
    order = shipped_order("RS7", widgets=1)
    request = ReturnRequest.model_validate(
        {"lines": [{"line_id": "1", "quantity": 1, "reason": "late"}]}
    )

    def decide(earlier: dict[str, int], number: int) -> ReturnDraft:
        lines = authorize(order, request, earlier, now=datetime.now(UTC), window=timedelta(30))
        return ReturnDraft("EAST", "USD", lines, "support:sam")

    record, _ = store.authorize_return("RS7", decide, lambda n: return_id("RS7", n))
    view = view_of(record)
    assert await nobody.start(view, [])
    report = ReturnReport.model_validate(
        {"type": "received", "event_id": "x", "lines": [
            {"line_id": "1", "quantity": 1, "condition": "sellable"}]}
    )  # fmt: skip
    try:
        with pytest.raises(TemporalBusy, match="send it again"):
            await nobody.report(view, "EAST", report, actor="location:EAST:ann")
    finally:
        handle = dev_env.client.get_workflow_handle(return_workflow_id(view.return_id))
        await handle.terminate("test over")
        store.close()
