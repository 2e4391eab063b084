"""Holds (issue 23 item 2): an order kept from its locations, its units reserved, until a
person releases it; cancelled when the hold runs out. Real store, real routing, the
time-skipping server; each test ends with the books checked."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.errors import HoldRefused
from domain.holds import HoldReason, HoldRelease, HoldRequest
from domain.models import FulfillmentStatus, OrderStatus
from tests.support.builders import order_request as order
from tests.support.workflows import rig, settle, until

S = FulfillmentStatus
R = HoldReason


def lines(**units: int) -> list[dict[str, object]]:
    return [
        {"line_id": str(i), "sku": sku, "quantity": q}
        for i, (sku, q) in enumerate(units.items(), 1)
    ]


def kinds(view) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.type for e in view.events]


def on_hold_with_a_package(view) -> bool:  # type: ignore[no-untyped-def]
    return view.status is OrderStatus.ON_HOLD and bool(view.held)


async def test_a_hold_at_checkout_reserves_sends_nothing_then_release_ships(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        hold = {"reason": "fraud_review", "note": "new card, big basket"}
        await r.place(order("H1", lines=lines(A=2), hold=hold))
        held = await until(time_env, "H1", on_hold_with_a_package, "on hold")
        reserved = r.store.open_reservations("H1")
        await time_env.sleep(timedelta(hours=6))  # a hold without expiry just waits
        still = await r.gateway.get_order("H1")
        assert r.locations.dispatched == []

        released = await r.gateway.release_hold(
            "H1", HoldRelease(reason=R.FRAUD_REVIEW, actor="sam@support")
        )
        first = await r.package("H1", 1)
        await r.ship(first)
        final = await settle(time_env, "H1")
    assert [h.reason for h in held.holds] == [R.FRAUD_REVIEW]
    assert held.holds[0].note == "new card, big basket" and held.holds[0].actor == "checkout"
    assert held.holds[0].expires_at is None
    assert [p.fulfillment_id for p in held.held] == ["H1-F1"] and held.fulfillments == []
    assert sum(x.quantity for x in reserved) == 2  # the stock stays promised
    assert still.status is OrderStatus.ON_HOLD
    assert released.holds == [] and released.held == []
    assert released.status is OrderStatus.FULFILLING
    assert [p.fulfillment_id for p in released.already_dispatched] == ["H1-F1"]
    assert r.locations.dispatched == ["H1-F1"]
    assert final.status is OrderStatus.SHIPPED
    assert kinds(final)[:4] == ["received", "held", "allocated", "package_held"]
    assert "hold_released" in kinds(final)
    release = next(e for e in final.events if e.type == "hold_released")
    assert release.actor == "sam@support" and release.reason == "fraud_review"
    assert final.holds == [] and final.held == []
    r.assert_books_balance(final)


async def test_a_hold_that_runs_out_cancels_the_order_and_releases_its_units(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        hold = {"reason": "payment_pending", "expires_in_hours": 24}
        await r.place(order("H2", lines=lines(A=1, B=1), hold=hold))
        held = await until(time_env, "H2", on_hold_with_a_package, "on hold")
        assert r.store.open_reservations("H2") != []
        await time_env.sleep(timedelta(hours=23))
        before = await r.gateway.get_order("H2")
        final = await settle(time_env, "H2", step=timedelta(minutes=30))
        with pytest.raises(HoldRefused, match="already cancelled"):  # too late to release
            await r.gateway.release_hold("H2", HoldRelease(reason=R.PAYMENT_PENDING))
    assert held.holds[0].expires_at == held.holds[0].since + timedelta(hours=24)
    assert before.status is OrderStatus.ON_HOLD
    assert final.status is OrderStatus.CANCELLED
    assert final.reason == "hold payment_pending expired after 24 h"
    assert "hold_expired" in kinds(final) and kinds(final)[-1] == "cancelled"
    assert final.holds == [] and final.held == []
    assert r.locations.dispatched == [] and r.locations.cancelled == []
    assert r.store.open_reservations("H2") == []
    r.assert_books_balance(final)


async def test_a_later_hold_keeps_back_what_is_not_out_and_lets_a_dispatched_package_go(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("H3", lines=lines(A=12)))  # two packages
        first, second = await r.package("H3", 1), await r.package("H3", 2)
        views = {f: await r.gateway.fulfillment(f) for f in (first, second)}
        short = next(f for f, v in views.items() if v.location_id == "WH-EAST")
        other = second if short == first else first
        # WH-EAST finds none of its units, and no other location has enough: backordered.
        await r.event(short, "accepted")
        await r.event(short, "short", lines=[{"sku": "A", "quantity": 0}])
        await until(time_env, "H3", lambda v: bool(v.backordered), "backordered in part")

        answer = await r.gateway.hold(
            "H3", HoldRequest(reason=R.ADDRESS_CHECK, note="flat number?", actor="ana@support")
        )
        # Stock arrives: the backordered units are routed and reserved, but not sent.
        r.store.receive("3PL-WEST", "A", 20, reference="PO-1", actor="test")
        await r.gateway.stock_arrived(["H3"], ["A"])
        waiting = await until(time_env, "H3", on_hold_with_a_package, "holding a package")
        dispatched_while_held = list(r.locations.dispatched)
        await r.ship(other)  # the package its location had goes on regardless
        shipped_one = await r.gateway.get_order("H3")

        await r.gateway.release_hold("H3", HoldRelease(reason=R.ADDRESS_CHECK, actor="ana"))
        third = await r.package("H3", 3)
        await r.ship(third)
        final = await settle(time_env, "H3")
    assert answer.status is OrderStatus.ON_HOLD
    assert [(p.status, p.lines[0].quantity) for p in answer.held] == [
        ("backordered", views[short].lines[0].quantity)
    ]
    assert [p.fulfillment_id for p in answer.already_dispatched] == [other]
    assert [p.fulfillment_id for p in waiting.held] == ["H3-F3"]
    assert "H3-F3" not in dispatched_while_held
    assert shipped_one.status is OrderStatus.ON_HOLD  # one package out, the rest held
    assert final.status is OrderStatus.SHIPPED
    assert {f.fulfillment_id: f.status for f in final.fulfillments} == {
        short: S.SHORT,
        other: S.SHIPPED,
        third: S.SHIPPED,
    }
    held = next(e for e in final.events if e.type == "held")
    assert held.actor == "ana@support" and held.detail == {"note": "flat number?"}
    r.assert_books_balance(final)


async def test_refusals_change_nothing_and_a_repeat_is_applied_once(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("H4", lines=lines(A=1)))
        first = await r.package("H4", 1)
        with pytest.raises(HoldRefused, match="every package is already with its location"):
            await r.gateway.hold("H4", HoldRequest(reason=R.OTHER))
        with pytest.raises(HoldRefused, match="no fraud_review hold"):
            await r.gateway.release_hold("H4", HoldRelease(reason=R.FRAUD_REVIEW))
        untouched = await r.gateway.get_order("H4")

        await r.place(order("H5", lines=lines(A=1), hold={"reason": "customer_request"}))
        await until(time_env, "H5", on_hold_with_a_package, "on hold")
        with pytest.raises(HoldRefused, match="already on hold for customer_request"):
            await r.gateway.hold("H5", HoldRequest(reason=R.CUSTOMER_REQUEST))
        second = HoldRequest(reason=R.PAYMENT_PENDING, actor="sam")
        once = await r.gateway.hold("H5", second, request_id="req-1")
        again = await r.gateway.hold("H5", second, request_id="req-1")  # a retry
        await r.gateway.release_hold("H5", HoldRelease(reason=R.CUSTOMER_REQUEST))
        still = await r.gateway.get_order("H5")  # one hold left: nothing goes out yet
        await r.gateway.release_hold("H5", HoldRelease(reason=R.PAYMENT_PENDING))
        await r.ship(await r.package("H5", 1))
        await r.ship(first)
        final = await settle(time_env, "H5")
        with pytest.raises(HoldRefused, match="already shipped"):
            await r.gateway.hold("H5", HoldRequest(reason=R.OTHER))
    assert untouched.status is OrderStatus.FULFILLING and untouched.holds == []
    assert "held" not in kinds(untouched)
    assert once == again and [h.reason for h in once.holds] == [
        R.CUSTOMER_REQUEST,
        R.PAYMENT_PENDING,
    ]
    assert kinds(final).count("held") == 2  # checkout's and sam's, the retry not again
    assert still.status is OrderStatus.ON_HOLD and [h.reason for h in still.holds] == [
        R.PAYMENT_PENDING
    ]
    assert still.fulfillments == []
    r.assert_books_balance(final)


async def test_a_cancel_while_on_hold_releases_what_the_hold_kept_back(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    from domain.orders import CancelRequest

    async with rig(time_env, task_queue, tmp_path) as r:
        await r.place(order("H6", lines=lines(B=3), hold={"reason": "fraud_review"}))
        await until(time_env, "H6", on_hold_with_a_package, "on hold")
        await r.gateway.cancel("H6", CancelRequest(reason="fraud confirmed", actor="ana"))
        final = await settle(time_env, "H6")
    assert final.status is OrderStatus.CANCELLED and final.reason == "fraud confirmed"
    assert final.holds == [] and final.held == [] and final.fulfillments == []
    assert r.locations.dispatched == []
    assert r.store.open_reservations("H6") == []
    r.assert_books_balance(final)
