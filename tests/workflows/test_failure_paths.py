"""Issue 5's nine paths, each checked for its final state, its timeline, and books that
balance afterwards (no leaked reservation, nothing committed twice)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.errors import CancelRefused, RerouteRefused
from domain.models import FulfillmentStatus, OrderStatus
from domain.orders import CancelRequest, RerouteRequest
from tests.support.builders import order_request as order
from tests.support.workflows import rig, settle, until

S = FulfillmentStatus


def lines(**units: int) -> list[dict[str, object]]:
    return [
        {"line_id": str(i), "sku": sku, "quantity": q}
        for i, (sku, q) in enumerate(units.items(), 1)
    ]


def kinds(view) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.type for e in view.events]


async def test_no_answer_in_time_cancels_there_and_reroutes(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("P1", lines=lines(A=1, B=1)))
        first = await r.package("P1", 1)
        view = await until(time_env, "P1", lambda v: v.fulfillments, "allocated")
        assert view.fulfillments[0].location_id == "3PL-WEST"
        await time_env.sleep(timedelta(minutes=6))  # the 3PL has 5 minutes to accept
        second = await r.package("P1", 2)
        assert r.locations.cancelled == [first]
        view = await r.gateway.get_order("P1")
        moved = {f.fulfillment_id: f for f in view.fulfillments}
        assert moved[first].status is S.TIMED_OUT
        assert "not accepted within 5m" in (moved[first].reason or "")
        assert moved[second].location_id != "3PL-WEST"
        assert r.store.balance("3PL-WEST", "A").reserved == 0
        await r.ship(second)
        final = await settle(time_env, "P1")
    assert final.status is OrderStatus.SHIPPED
    assert "rerouting" in kinds(final)
    r.assert_books_balance(final)


async def test_rejection_reroutes_at_once(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("P2", lines=lines(A=2)))
        first = await r.package("P2", 1)
        await r.event(first, "rejected", reason="flooded aisle")
        second = await r.package("P2", 2)
        view = await r.gateway.get_order("P2")
        by_id = {f.fulfillment_id: f for f in view.fulfillments}
        assert by_id[first].status is S.REJECTED and by_id[first].reason == "flooded aisle"
        assert by_id[second].location_id != by_id[first].location_id
        assert r.locations.cancelled == []  # the location said no itself: nothing to cancel
        rerouting = [e for e in view.events if e.type == "rerouting"]
        assert "flooded aisle" in (rerouting[0].reason or "")
        await r.ship(second)
        final = await settle(time_env, "P2")
    assert final.status is OrderStatus.SHIPPED
    r.assert_books_balance(final)


async def test_shortfall_keeps_found_units_and_reroutes_only_the_missing(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("P3", lines=lines(A=3, B=1)))
        first = await r.package("P3", 1)
        where = (await r.gateway.fulfillment(first)).location_id
        on_hand_before = r.store.balance(where, "A").on_hand
        await r.event(first, "accepted")
        await r.event(first, "short", lines=[{"sku": "A", "quantity": 1}], reason="bin held 1")
        second = await r.package("P3", 2)
        kept = await r.gateway.fulfillment(first)
        assert kept.status is S.ACCEPTED
        assert {line.sku: line.quantity for line in kept.lines} == {"A": 1, "B": 1}
        moved = await r.gateway.fulfillment(second)
        assert moved.location_id != where
        assert {line.sku: line.quantity for line in moved.lines} == {"A": 2}
        # The location's count was corrected by the two units nobody could find.
        assert r.store.balance(where, "A").on_hand == on_hand_before - 2
        ledger = r.store.ledger(where, "A")
        assert any(row.reference == first and row.on_hand_delta == -2 for row in ledger)
        await r.ship(first)
        await r.ship(second)
        final = await settle(time_env, "P3")
    assert final.status is OrderStatus.SHIPPED
    units = {}
    for f in final.fulfillments:
        for line in f.lines:
            units[line.sku] = units.get(line.sku, 0) + line.quantity
    assert units == {"A": 3, "B": 1}
    r.assert_books_balance(final)


async def test_operator_reroute_is_checked_first_and_answers_with_the_new_plan(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("P4", lines=lines(A=1, B=1)))
        first = await r.package("P4", 1)
        here = (await r.gateway.fulfillment(first)).location_id
        everywhere = ["WH-EAST", "3PL-WEST", "STORE-CHI", "STORE-PHX"]
        with pytest.raises(RerouteRefused, match="no plan"):
            await r.gateway.reroute(
                "P4", RerouteRequest(exclude_location_ids=everywhere, reason="x")
            )
        with pytest.raises(RerouteRefused, match="no open fulfillment"):
            await r.gateway.reroute(
                "P4", RerouteRequest(exclude_location_ids=["STORE-PHX"], reason="x")
            )
        with pytest.raises(RerouteRefused, match="no plan"):  # PHX holds no B
            await r.gateway.reroute("P4", RerouteRequest(location_id="STORE-PHX", reason="x"))
        assert (await r.gateway.fulfillment(first)).status is S.DISPATCHED  # nothing changed
        assert r.store.balance(here, "A").reserved == 1

        r.locations.hold_cancel = asyncio.Event()  # the old location is slow to answer
        result = await r.gateway.reroute(
            "P4",
            RerouteRequest(
                exclude_location_ids=[here], reason="warehouse flooded", actor="ops:kim"
            ),
        )
        assert result.cancelled_fulfillment_ids == [first]
        assert [f.location_id for f in result.fulfillments] != [here]
        assert len(result.fulfillments) == 1 and result.fulfillments[0].location_id != here
        assert result.decision.status == "routed"
        second = result.fulfillments[0].fulfillment_id
        # The answer does not wait for the old location to be told: that is still pending.
        assert [note.split(":")[0] for note in result.pending] == [first]
        r.locations.hold_cancel.set()
        await until(time_env, "P4", lambda v: not v.pending, "done with the old package")
        assert r.locations.cancelled == [first]
        assert r.store.balance(here, "A").reserved == 0
        await r.ship(second)
        final = await settle(time_env, "P4")
        with pytest.raises(RerouteRefused, match="already shipped"):
            await r.gateway.reroute("P4", RerouteRequest(location_id="WH-EAST", reason="late"))
    assert final.status is OrderStatus.SHIPPED
    requested = [e for e in final.events if e.type == "reroute_requested"]
    assert requested[0].actor == "ops:kim" and requested[0].reason == "warehouse flooded"
    r.assert_books_balance(final)


async def test_cancel_compensates_everything_and_refuses_once_shipped(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("P5", lines=lines(A=12)))  # needs two locations
        first, second = await r.package("P5", 1), await r.package("P5", 2)
        await r.event(first, "accepted")
        cancelled = await r.gateway.cancel("P5", CancelRequest(reason="customer changed mind"))
        assert cancelled.status is OrderStatus.CANCELLED
        final = await settle(time_env, "P5")
        assert sorted(r.locations.cancelled) == sorted([first, second])

        await r.place(order("P5b", lines=lines(A=12)))
        one, two = await r.package("P5b", 1), await r.package("P5b", 2)
        await r.ship(one, tracking="1ZSHIPPED")
        await until(
            time_env,
            "P5b",
            lambda v: any(f.status is S.SHIPPED for f in v.fulfillments),
            "partly shipped",
        )
        with pytest.raises(CancelRefused, match="1ZSHIPPED"):
            await r.gateway.cancel("P5b", CancelRequest(reason="too late"))
        await r.ship(two)
        shipped = await settle(time_env, "P5b")
    assert final.status is OrderStatus.CANCELLED and final.reason == "customer changed mind"
    assert all(f.status is S.CANCELLED for f in final.fulfillments)
    assert "cancel_requested" in kinds(final)
    r.assert_books_balance(final)
    assert shipped.status is OrderStatus.SHIPPED
    r.assert_books_balance(shipped)


async def test_backorder_holds_nothing_and_wakes_when_stock_arrives(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("P6", lines=lines(RARE=2)))
        view = await until(
            time_env, "P6", lambda v: v.status is OrderStatus.BACKORDERED, "backordered"
        )
        assert [(line.sku, line.quantity) for line in view.backordered] == [("RARE", 2)]
        assert r.store.reservations("P6") == []
        assert "P6" in r.store.backordered_orders(["RARE"])
        r.store.receive("WH-EAST", "RARE", 5, reference="PO-77", actor="test")
        assert await r.gateway.stock_arrived(r.store.backordered_orders(["RARE"]), ["RARE"]) == 1
        first = await r.package("P6", 1)
        assert (await r.gateway.fulfillment(first)).location_id == "WH-EAST"
        assert "P6" not in r.store.backordered_orders(["RARE"])
        await r.ship(first)
        final = await settle(time_env, "P6")

        await r.place(order("P6b", lines=lines(RARE=50)))
        await until(time_env, "P6b", lambda v: v.status is OrderStatus.BACKORDERED, "backordered")
        expired = await settle(time_env, "P6b", step=timedelta(minutes=15))
    assert final.status is OrderStatus.SHIPPED
    assert kinds(final)[:2] == ["received", "backordered"]
    r.assert_books_balance(final)
    assert expired.status is OrderStatus.CANCELLED and "backorder window" in (expired.reason or "")
    assert r.store.reservations("P6b") == [] and r.store.backordered_orders(["RARE"]) == []


async def test_store_pickup_ready_then_collected_or_put_back(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    pickup = {"delivery": "pickup", "pickup_location_id": "STORE-CHI"}
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("P7", lines=lines(A=1), **pickup))
        first = await r.package("P7", 1)
        assert (await r.gateway.fulfillment(first)).location_id == "STORE-CHI"
        for step in ("accepted", "picked", "ready_for_pickup"):
            await r.event(first, step)
        await until(time_env, "P7", lambda v: v.status is OrderStatus.READY_FOR_PICKUP, "ready")
        await r.event(first, "picked_up")
        collected = await settle(time_env, "P7")

        before = r.store.balance("STORE-CHI", "B")
        await r.place(order("P7b", lines=lines(B=1), **pickup))
        other = await r.package("P7b", 1)
        for step in ("accepted", "ready_for_pickup"):
            await r.event(other, step)
        await until(time_env, "P7b", lambda v: v.status is OrderStatus.READY_FOR_PICKUP, "ready")
        held = r.store.balance("STORE-CHI", "B")
        assert (held.on_hand, held.reserved) == (before.on_hand, before.reserved + 1)
        forgotten = await settle(time_env, "P7b", step=timedelta(minutes=30))
        after = r.store.balance("STORE-CHI", "B")
    assert collected.status is OrderStatus.PICKED_UP
    assert [f.status for f in collected.fulfillments] == [S.PICKED_UP]
    r.assert_books_balance(collected)
    assert forgotten.status is OrderStatus.CANCELLED
    assert "not collected within 2h" in (forgotten.reason or "")
    assert (after.on_hand, after.reserved) == (before.on_hand, before.reserved)  # units put back
    r.assert_books_balance(forgotten)


async def test_split_order_is_fulfilling_until_every_package_ships(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("P8", lines=lines(A=12)))
        first, second = await r.package("P8", 1), await r.package("P8", 2)
        await r.ship(first, tracking="1ZFIRST")
        view = await until(
            time_env,
            "P8",
            lambda v: any(f.tracking_number for f in v.fulfillments),
            "partly shipped",
        )
        assert view.status is OrderStatus.FULFILLING
        tracking = {
            f.fulfillment_id: f.tracking_number
            for f in (await r.gateway.get_order("P8")).fulfillments
        }
        assert tracking == {first: "1ZFIRST", second: None}
        await r.ship(second, tracking="1ZSECOND")
        final = await settle(time_env, "P8")
    assert final.status is OrderStatus.SHIPPED
    assert sorted(f.tracking_number for f in final.fulfillments) == ["1ZFIRST", "1ZSECOND"]
    r.assert_books_balance(final)


async def test_too_many_reroutes_fail_the_order_with_everything_released(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:  # max_reroutes: 2
        await r.place(order("P9", lines=lines(A=1)))
        for number in (1, 2, 3):
            fid = await r.package("P9", number)
            await r.event(fid, "rejected", reason=f"no staff ({number})")
        final = await settle(time_env, "P9")
    assert final.status is OrderStatus.FAILED
    assert "gave up after 2 reroutes" in (final.reason or "")
    assert "no staff (3)" in (final.reason or "")
    assert [f.status for f in final.fulfillments] == [S.REJECTED] * 3
    r.assert_books_balance(final)
    assert r.store.open_reservations("P9") == []
