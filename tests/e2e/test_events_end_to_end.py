"""Issue 14: a subscriber hears of an order's whole life, each event signed like a
fulfillment request, and gets an event again after it answered 500 once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from adapters.signatures import verify
from tests.support.builders import order_body
from tests.support.data import E2E
from tests.support.http import play_location, wait_for
from tests.support.stack import Stack, start_stack, stop_stack
from tests.support.subscriber import SECRET, Subscriber, listening

pytestmark = pytest.mark.e2e

ALL_TYPES = [
    "order.received", "order.allocated", "order.backordered", "fulfillment.dispatched",
    "fulfillment.shipped", "order.shipped", "order.cancelled", "order.failed", "order.rerouted",
]  # fmt: skip


@pytest.fixture(scope="module")
def subscriber() -> Iterator[Subscriber]:
    """An ERP's endpoint: answers 500 to the first ``order.allocated``."""
    with listening(refuse_first="order.allocated") as running:
        yield running


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("events")
    # The test's receiver listens on loopback: allowed here, never by default.
    process, running = start_stack(
        tmp, E2E / "network.yaml", {"DOM_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}
    )
    yield running
    stop_stack(process, running)


def test_a_subscriber_hears_an_orders_whole_life_signed_and_again_after_a_500(
    stack: Stack, subscriber: Subscriber
) -> None:
    with stack.client("ops") as ops, stack.client() as http:
        created = ops.post(
            "/subscriptions",
            json={"url": subscriber.url, "secret": SECRET, "event_types": ALL_TYPES},
        )
        assert created.status_code == 201, created.text
        subscription_id = created.json()["id"]

        placed = order_body("EV-1", address1="77 Larimer Street")
        assert http.post("/orders", json=placed).status_code == 202
        order = wait_for(http, "EV-1", lambda o: o["status"] == "fulfilling", "fulfilling")
        [package] = order["fulfillments"]
        play_location(http, package["location_id"], package["fulfillment_id"], "1Z-EV-1")
        wait_for(http, "EV-1", lambda o: o["status"] == "shipped", "shipped", seconds=60)

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            deliveries = ops.get(f"/subscriptions/{subscription_id}/deliveries").json()
            if len(deliveries) >= 5 and all(d["status"] == "delivered" for d in deliveries):
                break
            time.sleep(0.3)

    for headers, body in subscriber.received:  # every request signed, as docs/webhooks.md
        verify(headers["X-Switchyard-Signature"], body, SECRET)
        assert headers["Idempotency-Key"] == json.loads(body)["id"]
    events = subscriber.events()
    assert all(set(e) == {"id", "type", "occurred_at", "data"} for e in events)
    firsts = {}
    for event in events:
        firsts.setdefault(event["id"], event)
    kinds = sorted(e["type"] for e in firsts.values())
    assert kinds == sorted(
        ["order.received", "order.allocated", "fulfillment.dispatched",
         "fulfillment.shipped", "order.shipped"]
    ), kinds  # fmt: skip
    allocated = [e for e in events if e["type"] == "order.allocated"]
    assert len(allocated) == 2 and allocated[0]["id"] == allocated[1]["id"]  # the redelivery
    shipped = next(e for e in events if e["type"] == "fulfillment.shipped")
    assert shipped["data"]["fulfillment_id"] == package["fulfillment_id"]
    assert shipped["data"]["tracking_number"] == "1Z-EV-1"
    final = next(e for e in events if e["type"] == "order.shipped")
    assert final["data"]["order_id"] == "EV-1" and final["data"]["status"] == "shipped"
    # The customer, sealed under their own key all the way through the workflow, is
    # opened for the subscriber (an ERP needs to know whose order it is).
    assert final["data"]["customer"] == placed["customer"]
    assert final["data"]["ship_to"]["address1"] == "77 Larimer Street"
    assert final["data"]["customer_erased"] is False and "personal" not in final["data"]
    dispatched = next(e for e in events if e["type"] == "fulfillment.dispatched")
    assert dispatched["data"]["ship_to"]["address1"] == "77 Larimer Street"

    by_type = {d["event_type"]: d for d in deliveries}
    assert all(d["status"] == "delivered" for d in deliveries), deliveries
    assert by_type["order.allocated"]["attempts"] == 2
    assert by_type["order.received"]["attempts"] == 1
    assert by_type["order.allocated"]["last_error"] is None  # cleared once delivered

    scraped = stack.client("metrics").get("/metrics").text  # dom up: the worker's figures too
    assert 'switchyard_event_deliveries_total{outcome="delivered"} 5.0' in scraped
    assert 'switchyard_event_deliveries_total{outcome="retried"} 1.0' in scraped


def test_orders_placed_with_no_subscription_publish_nothing(
    stack: Stack, subscriber: Subscriber
) -> None:
    with stack.client("ops") as ops, stack.client() as http:
        for subscription in ops.get("/subscriptions").json():
            assert ops.delete(f"/subscriptions/{subscription['id']}").status_code == 204
        time.sleep(5.5)  # other API processes forget within 5 s; this one at once
        assert http.post("/orders", json=order_body("EV-2")).status_code == 202
        wait_for(http, "EV-2", lambda o: o["status"] == "fulfilling", "fulfilling")
        time.sleep(1)
    assert all(e["data"]["order_id"] != "EV-2" for e in subscriber.events())
