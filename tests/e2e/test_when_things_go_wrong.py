"""Issue 5 through HTTP against the real stack: a silent location, an operator's
reroute, a customer's cancel. Deadlines are seconds (tests/e2e/network_failures.yaml)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.builders import order_body
from tests.support.data import E2E
from tests.support.http import play_location, wait_for
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("failures")
    process, running = start_stack(tmp, E2E / "network_failures.yaml")
    yield running
    stop_stack(process, running)


def camping(order_id: str) -> dict[str, object]:
    return order_body(
        order_id,
        lines=[
            {"line_id": "1", "sku": "TENT", "quantity": 1},
            {"line_id": "2", "sku": "STOVE", "quantity": 1},
        ],
    )


def reserved(http: httpx.Client, sku: str, location_id: str) -> int:
    rows = http.get(f"/inventory/{sku}").json()["locations"]
    return next(r["reserved"] for r in rows if r["location_id"] == location_id)


def test_a_location_that_never_answers_loses_the_order(stack: Stack) -> None:
    with stack.client() as http:
        assert http.post("/orders", json=camping("W-1")).status_code == 202
        order = wait_for(http, "W-1", lambda o: o["fulfillments"], "allocated")
        assert order["fulfillments"][0]["location_id"] == "SLC-3PL"  # nearest to Denver
        order = wait_for(http, "W-1", lambda o: len(o["fulfillments"]) == 2, "rerouted", seconds=30)
        first, second = order["fulfillments"]
        assert first["status"] == "timed_out" and "not accepted within 3s" in first["reason"]
        assert second["location_id"] != "SLC-3PL" and second["status"] == "dispatched"
        assert reserved(http, "TENT", "SLC-3PL") == 0
        timeline = [(e["type"], e.get("fulfillment_id")) for e in order["events"]]
        assert ("timed_out", "W-1-F1") in timeline and ("rerouting", None) in timeline
        late = http.post("/locations/SLC-3PL/fulfillments/W-1-F1/events", json={"type": "accepted"})
        assert late.status_code == 409 and "closed" in late.json()["message"]
        play_location(http, second["location_id"], second["fulfillment_id"], "1ZLATE")
        wait_for(http, "W-1", lambda o: o["status"] == "shipped", "shipped")


def test_operations_reroute_answers_with_the_new_plan(stack: Stack) -> None:
    with stack.client() as http:
        assert http.post("/orders", json=camping("W-2")).status_code == 202
        order = wait_for(http, "W-2", lambda o: o["fulfillments"], "allocated")
        here = order["fulfillments"][0]["location_id"]
        assert (
            http.post(
                f"/locations/{here}/fulfillments/W-2-F1/events", json={"type": "accepted"}
            ).status_code
            == 202
        )

        nowhere = http.post(
            "/orders/W-2/reroute",
            json={"exclude_location_ids": ["SLC-3PL", "NWK-DC", "CHI-STORE"], "reason": "drill"},
        )
        assert nowhere.status_code == 409 and "no plan" in nowhere.json()["message"]
        assert (
            http.post(
                "/orders/NOPE/reroute", json={"location_id": "NWK-DC", "reason": "x"}
            ).status_code
            == 404
        )
        unknown = http.post(
            "/orders/W-2/reroute", json={"exclude_location_ids": ["MARS"], "reason": "x"}
        )
        assert unknown.status_code == 422 and "exclude_location_ids[0]" in unknown.json()["message"]

        moved = http.post(
            "/orders/W-2/reroute",
            json={"exclude_location_ids": [here], "reason": "power cut", "location_id": "NWK-DC"},
            headers={"Authorization": f"Bearer {stack.token('ops')}"},
        )
        assert moved.status_code == 200, moved.text
        result = moved.json()
        assert result["cancelled_fulfillment_ids"] == ["W-2-F1"]
        assert [f["location_id"] for f in result["fulfillments"]] == ["NWK-DC"]
        assert result["decision"]["status"] == "routed"
        # Decided at once; the old location's units are released right after (pending).
        wait_for(http, "W-2", lambda o: not o["pending"], "released")
        assert reserved(http, "TENT", here) == 0 and reserved(http, "TENT", "NWK-DC") >= 1
        play_location(http, "NWK-DC", result["fulfillments"][0]["fulfillment_id"], "1ZMOVED")
        order = wait_for(http, "W-2", lambda o: o["status"] == "shipped", "shipped")
        request = next(e for e in order["events"] if e["type"] == "reroute_requested")
        assert request["actor"] == "ops:dev-ops" and request["reason"] == "power cut"
        again = http.post(
            "/orders/W-2/reroute", json={"exclude_location_ids": ["NWK-DC"], "reason": "x"}
        )
        assert again.status_code == 409 and "1ZMOVED" in again.json()["message"]


def test_cancel_releases_everything_and_is_refused_once_shipped(stack: Stack) -> None:
    with stack.client() as http:
        assert http.post("/orders", json=camping("W-3")).status_code == 202
        order = wait_for(http, "W-3", lambda o: o["fulfillments"], "allocated")
        here = order["fulfillments"][0]["location_id"]
        assert reserved(http, "STOVE", here) >= 1
        cancelled = http.post("/orders/W-3/cancel", json={"reason": "customer asked"})
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        # Decided at once; telling the location and releasing the units come right after.
        assert [p.split(":")[0] for p in cancelled.json()["pending"]] in ([], ["W-3-F1"])
        order = wait_for(
            http, "W-3", lambda o: o["status"] == "cancelled" and not o["pending"], "settled"
        )
        assert order["fulfillments"][0]["status"] == "cancelled"
        assert http.get("/inventory/STOVE").json()["reserved"] == 0
        assert http.post("/orders/W-3/cancel", json={"reason": "twice"}).status_code == 409
        assert http.post("/orders/W-3/cancel", json={}).status_code == 422

        shipped = wait_for(http, "W-2", lambda o: o["status"] == "shipped", "shipped")
        refused = http.post("/orders/W-2/cancel", json={"reason": "too late"})
        assert refused.status_code == 409
        assert shipped["fulfillments"][-1]["tracking_number"] in refused.json()["message"]
