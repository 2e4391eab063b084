"""Issue 23 item 2 over HTTP against ``dom up``: an order placed on hold keeps its units
reserved and goes nowhere until support releases it, then ships; a later hold on an
order whose packages are all out is refused; a cancel while on hold releases the units;
subscribers hear ``order.held`` and ``order.hold_released``.

A hold that runs out (``expires_in_hours``, one hour at least) is tested in the
time-skipping workflow test (tests/workflows/test_holds.py): a real stack would wait
an hour for it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.builders import SKINCARE_SET, order_body
from tests.support.data import E2E
from tests.support.http import play_location, stock_of, wait_for
from tests.support.stack import Stack, start_stack, stop_stack
from tests.support.subscriber import SECRET, Subscriber, listening

pytestmark = pytest.mark.e2e

HOLD_EVENTS = ["order.held", "order.hold_released", "order.cancelled", "order.shipped"]


@pytest.fixture(scope="module")
def subscriber() -> Iterator[Subscriber]:
    with listening() as running:
        yield running


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("holds")
    process, running = start_stack(
        tmp, E2E / "network.yaml", {"DOM_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}
    )
    yield running
    stop_stack(process, running)


def reserved(http, sku: str) -> int:  # type: ignore[no-untyped-def]
    return sum(row["reserved"] for row in stock_of(http, sku).values())


def test_held_at_checkout_reserved_released_by_support_then_shipped(
    stack: Stack, subscriber: Subscriber
) -> None:
    with stack.client("ops") as ops, stack.client() as http, stack.client("support") as desk:
        created = ops.post(
            "/subscriptions",
            json={"url": subscriber.url, "secret": SECRET, "event_types": HOLD_EVENTS},
        )
        assert created.status_code == 201, created.text
        hold = {"reason": "payment_pending", "note": "bank transfer", "expires_in_hours": 72}
        placed = http.post("/orders", json=order_body("HO-1", hold=hold))
        assert placed.status_code == 202, placed.text
        order = wait_for(http, "HO-1", lambda o: o["status"] == "on_hold" and o["held"], "on hold")
        assert order["fulfillments"] == []
        [active] = order["holds"]
        assert (active["reason"], active["note"]) == ("payment_pending", "bank transfer")
        assert active["actor"] == order["events"][0]["actor"]  # who placed the order
        assert active["expires_at"] is not None
        assert all(reserved(http, sku) >= 1 for sku in SKINCARE_SET)  # promised
        time.sleep(1)
        assert http.get("/orders/HO-1").json()["fulfillments"] == []  # still nowhere

        wrong = desk.post("/orders/HO-1/release-hold", json={"reason": "fraud_review"})
        assert wrong.status_code == 409 and "no fraud_review hold" in wrong.json()["message"]
        released = desk.post(
            "/orders/HO-1/release-hold",
            json={"reason": "payment_pending"},
            headers={"Idempotency-Key": "HO-1-release-1"},
        )
        assert released.status_code == 200, released.text
        assert released.json()["holds"] == [] and released.json()["status"] == "fulfilling"
        retried = desk.post(
            "/orders/HO-1/release-hold",
            json={"reason": "payment_pending"},
            headers={"Idempotency-Key": "HO-1-release-1"},
        )
        assert retried.status_code == 200 and retried.json() == released.json()

        order = wait_for(http, "HO-1", lambda o: o["status"] == "fulfilling", "fulfilling")
        [package] = order["fulfillments"]
        play_location(http, package["location_id"], package["fulfillment_id"], "1Z-HO-1")
        final = wait_for(http, "HO-1", lambda o: o["status"] == "shipped", "shipped", seconds=60)

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            kinds = {e["type"] for e in subscriber.events() if e["data"]["order_id"] == "HO-1"}
            if {"order.held", "order.hold_released", "order.shipped"} <= kinds:
                break
            time.sleep(0.3)
    types = [e["type"] for e in final["events"]]
    assert types.count("held") == 1 and types.count("hold_released") == 1
    released_entry = next(e for e in final["events"] if e["type"] == "hold_released")
    assert released_entry["actor"].startswith("support")
    assert final["holds"] == [] and final["held"] == []
    events = {e["type"]: e for e in subscriber.events() if e["data"]["order_id"] == "HO-1"}
    assert events["order.held"]["data"]["status"] == "on_hold"
    assert events["order.held"]["data"]["holds"][0]["reason"] == "payment_pending"
    assert events["order.hold_released"]["data"]["holds"] == []
    assert events["order.hold_released"]["data"]["status"] != "on_hold"


def test_a_hold_refused_when_everything_is_out_and_a_cancel_while_held_releases(
    stack: Stack,
) -> None:
    with stack.client() as http, stack.client("support") as desk:
        assert http.post("/orders", json=order_body("HO-2")).status_code == 202
        wait_for(http, "HO-2", lambda o: o["status"] == "fulfilling", "fulfilling")
        refused = desk.post("/orders/HO-2/hold", json={"reason": "address_check"})
        assert refused.status_code == 409, refused.text
        assert "already with its location" in refused.json()["message"]
        assert desk.post("/orders/NO-SUCH/hold", json={"reason": "other"}).status_code == 404

        before = {sku: reserved(http, sku) for sku in SKINCARE_SET}
        hold = {"reason": "fraud_review"}
        assert http.post("/orders", json=order_body("HO-3", hold=hold)).status_code == 202
        wait_for(http, "HO-3", lambda o: o["status"] == "on_hold" and o["held"], "on hold")
        again = desk.post("/orders/HO-3/hold", json={"reason": "fraud_review"})
        assert again.status_code == 409 and "already on hold" in again.json()["message"]
        second = desk.post("/orders/HO-3/hold", json={"reason": "customer_request", "note": "x"})
        assert second.status_code == 200, second.text
        body = second.json()
        assert [h["reason"] for h in body["holds"]] == ["fraud_review", "customer_request"]
        assert [p["fulfillment_id"] for p in body["held"]] == ["HO-3-F1"]
        assert body["already_dispatched"] == []

        cancelled = desk.post("/orders/HO-3/cancel", json={"reason": "fraud confirmed"})
        assert cancelled.status_code == 200, cancelled.text
        final = wait_for(http, "HO-3", lambda o: o["status"] == "cancelled", "cancelled")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(
            reserved(http, sku) != before[sku] for sku in SKINCARE_SET
        ):
            time.sleep(0.2)
        assert {sku: reserved(http, sku) for sku in SKINCARE_SET} == before
    assert final["fulfillments"] == [] and final["holds"] == []
