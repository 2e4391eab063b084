"""Every exit compensates, every race is decided once: the order's edges (issue 10).

Each test ends with the books checked: no reservation outlives its package, nothing is
committed that did not ship."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import WorkflowEnvironment

from activities.names import ALLOCATE, RECORD_SHORTFALL
from domain.errors import CancelRefused, InvalidTransition, RerouteRefused
from domain.fulfillment import LocationEvent
from domain.ids import order_workflow_id
from domain.models import FulfillmentStatus, OrderStatus
from domain.orders import CancelRequest, RerouteRequest
from tests.support.builders import order_request as order
from tests.support.workflows import Rig, rig, settle, until
from workflows.order import OrderWorkflow

S = FulfillmentStatus


def lines(**units: int) -> list[dict[str, object]]:
    return [
        {"line_id": str(i), "sku": sku, "quantity": q}
        for i, (sku, q) in enumerate(units.items(), 1)
    ]


async def closed_view(r: Rig, order_id: str):  # type: ignore[no-untyped-def]
    """The order's final state once its workflow has closed, however it closed."""
    handle = r.env.client.get_workflow_handle(order_workflow_id(order_id))
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    return failure.value, await r.gateway.get_order(order_id)


async def test_a_cancel_through_temporal_still_releases_and_tells_the_locations(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("X1", lines=lines(A=12)))  # two packages
        first, second = await r.package("X1", 1), await r.package("X1", 2)
        await r.event(first, "accepted")
        held = r.store.open_reservations("X1")
        assert sum(x.quantity for x in held) == 12
        # What an operator does with `temporal workflow cancel order-X1`.
        await time_env.client.get_workflow_handle(order_workflow_id("X1")).cancel()
        error, final = await closed_view(r, "X1")
    assert isinstance(error.cause, CancelledError)
    assert final.status is OrderStatus.CANCELLED
    assert "cancelled" in (final.reason or "")
    assert [f.status for f in final.fulfillments] == [S.CANCELLED, S.CANCELLED]
    assert sorted(r.locations.cancelled) == sorted([first, second])
    assert r.store.open_reservations("X1") == []
    r.assert_books_balance(final)


async def test_a_failing_activity_fails_the_order_visibly_holding_nothing(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    @activity.defn(name=RECORD_SHORTFALL)
    async def broken_shortfall(record: object) -> None:
        raise ApplicationError("bug: the ledger writer is broken", non_retryable=True)

    async with rig(time_env, task_queue, tmp_path, replace=[broken_shortfall]) as r:
        await r.place(order("X2", lines=lines(A=3, B=1)))
        first = await r.package("X2", 1)
        await r.event(first, "accepted")
        await r.event(first, "short", lines=[{"sku": "A", "quantity": 1}])
        error, final = await closed_view(r, "X2")
    assert isinstance(error.cause, ApplicationError) and error.cause.type == "OrderFailed"
    assert final.status is OrderStatus.FAILED
    assert "the ledger writer is broken" in (final.reason or "")
    assert [f.status for f in final.fulfillments] == [S.CANCELLED]
    assert r.locations.cancelled == [first]  # the location was told to stop
    assert r.store.open_reservations("X2") == []
    assert r.store.check_ledger() == []


async def test_a_failing_reservation_a_local_activity_fails_the_order_holding_nothing(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    """allocate runs as a local activity (inside the workflow task): its failure still
    reaches the order, which fails visibly and holds nothing."""

    @activity.defn(name=ALLOCATE)
    def broken_allocate(request: object) -> None:
        raise ApplicationError("bug: the router is broken", non_retryable=True)

    async with rig(time_env, task_queue, tmp_path, replace=[broken_allocate]) as r:
        await r.place(order("X11", lines=lines(A=1)))
        error, final = await closed_view(r, "X11")
        handle = r.env.client.get_workflow_handle(order_workflow_id("X11"))
        events = [event async for event in handle.fetch_history_events()]
    assert isinstance(error.cause, ApplicationError) and error.cause.type == "OrderFailed"
    assert final.status is OrderStatus.FAILED
    assert "the router is broken" in (final.reason or "")
    assert final.fulfillments == []
    scheduled = [e for e in events if e.HasField("activity_task_scheduled_event_attributes")]
    assert not any(
        e.activity_task_scheduled_event_attributes.activity_type.name == ALLOCATE for e in scheduled
    )  # it ran as a local activity, recorded as a marker
    assert any(e.HasField("marker_recorded_event_attributes") for e in events)
    assert r.store.open_reservations("X11") == []
    assert r.store.check_ledger() == []


async def test_a_cancel_answers_at_once_while_locations_are_still_being_told(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        r.locations.hold_cancel = asyncio.Event()  # the location's cancel endpoint hangs
        await r.place(order("X3", lines=lines(A=12)))
        first, second = await r.package("X3", 1), await r.package("X3", 2)
        answer = await asyncio.wait_for(
            r.gateway.cancel("X3", CancelRequest(reason="customer changed mind")), 5
        )
        assert answer.status is OrderStatus.CANCELLED
        assert sorted(note.split(":")[0] for note in answer.pending) == sorted([first, second])
        assert all("telling" in note for note in answer.pending)
        # The decision is taken: the location can no longer ship it.
        with pytest.raises(InvalidTransition, match="taken back"):
            await r.event(first, "shipped", carrier="UPS", tracking_number="1ZLATE")
        assert r.store.open_reservations("X3")  # held until the locations hear of it
        r.locations.hold_cancel.set()
        final = await settle(time_env, "X3")
    assert final.status is OrderStatus.CANCELLED and final.pending == []
    assert sorted(r.locations.cancelled) == sorted([first, second])
    r.assert_books_balance(final)


async def test_an_event_sent_while_dispatch_is_still_running_is_taken(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        r.locations.hold_dispatch = asyncio.Event()  # the webhook has not answered yet
        await r.place(order("X4", lines=lines(A=1)))
        fid = await r.package("X4", 1)
        receipt = await r.gateway.report_event(
            "3PL-WEST", fid, LocationEvent(type="accepted", event_id="e1"), actor="3pl"
        )
        assert receipt.status is S.ACCEPTED and not receipt.duplicate
        r.locations.hold_dispatch.set()
        await r.ship(fid)
        final = await settle(time_env, "X4")
    assert final.status is OrderStatus.SHIPPED
    assert [f.status for f in final.fulfillments] == [S.SHIPPED]
    r.assert_books_balance(final)


async def test_units_released_by_a_cancel_wake_a_backordered_order(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        r.store.receive("WH-EAST", "RARE", 2, reference="PO-1", actor="test")
        await r.place(order("X5a", lines=lines(RARE=2)))  # takes both units
        await r.package("X5a", 1)
        await r.place(order("X5b", lines=lines(RARE=2)))
        await until(time_env, "X5b", lambda v: v.status is OrderStatus.BACKORDERED, "waiting")
        await r.gateway.cancel("X5a", CancelRequest(reason="fraud check failed"))
        # No stock route was called: the release itself told X5b.
        woken = await until(time_env, "X5b", lambda v: bool(v.fulfillments), "woken")
        assert woken.fulfillments[0].location_id == "WH-EAST"
        await r.ship(await r.package("X5b", 1))
        final = await settle(time_env, "X5b")
        cancelled = await settle(time_env, "X5a")
    assert final.status is OrderStatus.SHIPPED
    r.assert_books_balance(final)
    r.assert_books_balance(cancelled)


async def _race(*calls) -> list[object]:  # type: ignore[no-untyped-def]
    return await asyncio.gather(*calls, return_exceptions=True)


@pytest.mark.parametrize("round_", range(4))
async def test_cancel_racing_ship_has_one_winner(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path, round_: int
) -> None:
    order_id = f"X6-{round_}"
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order(order_id, lines=lines(A=1)))
        fid = await r.package(order_id, 1)
        for step in ("accepted", "picked", "packed"):
            await r.event(fid, step)
        ship = r.gateway.report_event(
            "3PL-WEST", fid,
            LocationEvent(type="shipped", carrier="UPS", tracking_number="1ZRACE"), actor="3pl",
        )  # fmt: skip
        cancel = r.gateway.cancel(order_id, CancelRequest(reason="too slow"))
        first, second = (ship, cancel) if round_ % 2 else (cancel, ship)
        answers = await _race(first, second)
        final = await settle(time_env, order_id)
    shipped, cancelled = (answers[0], answers[1]) if round_ % 2 else (answers[1], answers[0])
    if final.status is OrderStatus.SHIPPED:
        assert isinstance(cancelled, CancelRefused) and "1ZRACE" in str(cancelled)
        assert final.fulfillments[0].status is S.SHIPPED
    else:
        assert final.status is OrderStatus.CANCELLED
        assert isinstance(shipped, InvalidTransition)
        assert final.fulfillments[0].status is S.CANCELLED
        assert final.fulfillments[0].tracking_number is None
    r.assert_books_balance(final)


@pytest.mark.parametrize("round_", range(4))
async def test_reroute_racing_ship_never_breaks_the_order(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path, round_: int
) -> None:
    order_id = f"X7-{round_}"
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order(order_id, lines=lines(A=1)))
        fid = await r.package(order_id, 1)
        here = (await r.gateway.fulfillment(fid)).location_id
        await r.event(fid, "accepted")
        ship = r.gateway.report_event(
            here, fid,
            LocationEvent(type="shipped", carrier="UPS", tracking_number="1ZRACE"), actor="3pl",
        )  # fmt: skip
        reroute = r.gateway.reroute(
            order_id, RerouteRequest(exclude_location_ids=[here], reason="flooded")
        )
        answers = await _race(*((ship, reroute) if round_ % 2 else (reroute, ship)))
        view = await r.gateway.get_order(order_id)
        for f in view.fulfillments[1:]:
            await r.ship(f.fulfillment_id)
        final = await settle(time_env, order_id)
    errors = [a for a in answers if isinstance(a, Exception)]
    assert len(errors) == 1, answers  # exactly one of the two was refused
    assert final.status is OrderStatus.SHIPPED
    first = final.fulfillments[0]
    if first.status is S.SHIPPED:
        assert isinstance(errors[0], RerouteRefused) and len(final.fulfillments) == 1
    else:
        assert first.status is S.CANCELLED and isinstance(errors[0], InvalidTransition)
        assert final.fulfillments[1].location_id != here
    r.assert_books_balance(final)


async def test_an_update_on_a_closed_order_gets_an_answer_not_an_error(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("X8", lines=lines(A=1)))
        fid = await r.package("X8", 1)
        view = await r.gateway.fulfillment(fid)
        shipped = LocationEvent(type="shipped", event_id="ship-1", tracking_number="1ZX8")
        first = await r.gateway.report_event(view.location_id, fid, shipped, actor="3pl")
        await settle(time_env, "X8")
        # (Events on a closed order are tested on the real dev server, tests/e2e/test_races.py:
        # the time-skipping server answers an update on a closed workflow differently.)
        with pytest.raises(CancelRefused, match="already shipped"):
            await r.gateway.cancel("X8", CancelRequest(reason="late"))
        handle = time_env.client.get_workflow_handle_for(OrderWorkflow.run, order_workflow_id("X8"))
        outcome = await handle.result()
    assert not first.duplicate and first.status is S.SHIPPED
    assert outcome.status is OrderStatus.SHIPPED and outcome.fulfillments == {fid: S.SHIPPED}


async def test_an_event_id_used_for_another_event_is_refused_naming_the_first(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("X9", lines=lines(A=1)))
        fid = await r.package("X9", 1)
        where = (await r.gateway.fulfillment(fid)).location_id

        async def send(type_: str, **fields: object):  # type: ignore[no-untyped-def]
            event = LocationEvent(type=type_, event_id="evt-1", **fields)
            return await r.gateway.report_event(where, fid, event, actor="3pl")

        accepted = await send("accepted")
        repeat = await send("accepted")
        with pytest.raises(InvalidTransition, match="already used for 'accepted'"):
            await send("shipped", tracking_number="1ZLOST")
        view = await r.gateway.fulfillment(fid)
        assert (
            view.status is S.ACCEPTED and view.tracking_number is None
        )  # nothing dropped silently
        await r.ship(fid)
        final = await settle(time_env, "X9")
    assert not accepted.duplicate and repeat.duplicate and repeat.status is S.ACCEPTED
    assert final.status is OrderStatus.SHIPPED


async def test_an_order_whose_backorder_ran_out_after_part_shipped_says_so(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("X10", lines=lines(A=12)))  # two packages, all the A there is
        first, second = await r.package("X10", 1), await r.package("X10", 2)
        await r.ship(first, tracking="1ZPART")
        await r.event(second, "rejected", reason="flooded aisle")
        await until(time_env, "X10", lambda v: v.status is OrderStatus.BACKORDERED, "waiting")
        final = await settle(time_env, "X10", step=timedelta(minutes=15))
    assert final.status is OrderStatus.PARTIALLY_SHIPPED
    assert "1ZPART" in (final.reason or "") and "the rest was cancelled" in (final.reason or "")
    assert "backorder window" in (final.reason or "")
    assert [f.status for f in final.fulfillments] == [S.SHIPPED, S.REJECTED]
    r.assert_books_balance(final)
