"""Issue 3's acceptance test: the textbook case, end to end through HTTP against the real stack."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.builders import SKINCARE_SET, order_body
from tests.support.http import play_location, stock_of, wait_for
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def test_denver_skincare_set_ships_from_salt_lake_city(stack: Stack) -> None:
    with stack.client() as http:
        before = {sku: stock_of(http, sku) for sku in SKINCARE_SET}
        placed = http.post("/orders", json=order_body("TB-1"))
        assert placed.status_code == 202, placed.text
        assert placed.json()["status"] == "received"

        order = wait_for(http, "TB-1", lambda o: o["status"] == "fulfilling", "fulfilling")
        [package] = order["fulfillments"]
        assert package["location_id"] == "SLC-3PL"
        assert package["fulfillment_id"] == "TB-1-F1"
        assert sorted(line["sku"] for line in package["lines"]) == sorted(SKINCARE_SET)
        assert order["routing"]["status"] == "routed"
        assert order["routing"]["plan"]["packages"][0]["location_id"] == "SLC-3PL"

        play_location(http, "SLC-3PL", "TB-1-F1", "1ZSLC0001")
        order = wait_for(http, "TB-1", lambda o: o["status"] == "shipped", "shipped")
        [package] = order["fulfillments"]
        assert (package["status"], package["carrier"], package["tracking_number"]) == (
            "shipped",
            "UPS",
            "1ZSLC0001",
        )
        kinds = [e["type"] for e in order["events"]]
        for expected in (
            "received",
            "allocated",
            "dispatched",
            "accepted",
            "picked",
            "packed",
            "shipped",
        ):
            assert expected in kinds
        assert all(e["at"] for e in order["events"])
        assert kinds.count("accepted") == 1 and kinds.count("shipped") == 2  # package's + order's

        for sku in SKINCARE_SET:
            after = stock_of(http, sku)
            assert after["SLC-3PL"]["on_hand"] == before[sku]["SLC-3PL"]["on_hand"] - 1
            assert after["SLC-3PL"]["reserved"] == 0


def test_partial_stock_in_salt_lake_city_sends_one_box_from_chicago(stack: Stack) -> None:
    with stack.client() as http:
        # After the first test SLC holds cleanser 1, serum 0, moisturizer 1: only part of the set.
        assert stock_of(http, "SKIN-SERUM")["SLC-3PL"]["on_hand"] == 0
        assert http.post("/orders", json=order_body("TB-2")).status_code == 202
        order = wait_for(http, "TB-2", lambda o: o["status"] == "fulfilling", "fulfilling")
        assert [f["location_id"] for f in order["fulfillments"]] == ["CHI-STORE"]
        assert len(order["routing"]["plan"]["packages"]) == 1
        chicago_before = {sku: stock_of(http, sku)["CHI-STORE"]["on_hand"] for sku in SKINCARE_SET}
        assert all(stock_of(http, sku)["CHI-STORE"]["reserved"] == 1 for sku in SKINCARE_SET)

        play_location(http, "CHI-STORE", "TB-2-F1", "1ZCHI0002")
        wait_for(http, "TB-2", lambda o: o["status"] == "shipped", "shipped")
        for sku in SKINCARE_SET:
            row = stock_of(http, sku)["CHI-STORE"]
            assert row["on_hand"] == chicago_before[sku] - 1
            assert row["reserved"] == 0
        totals = http.get("/inventory/SKIN-SERUM").json()
        assert totals["reserved"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"line_id": "1", "sku": "SKIN-SERUM", "quantity": 0}]}, "lines[0].quantity"),
        ({"lines": [{"line_id": "1", "sku": "SKIN-SERUM", "quantity": -2}]}, "lines[0].quantity"),
        ({"lines": [{"line_id": "1", "sku": "NOT-A-SKU", "quantity": 1}]}, "lines[0].sku"),
        ({"ship_to": {"postal_code": "ABCDE", "country": "US"}}, "ship_to.postal_code"),
        ({"ship_to": {"postal_code": "00000", "country": "US"}}, "ship_to.postal_code"),
        ({"ship_to": {"postal_code": "80202", "country": "CA"}}, "ship_to.country"),
        (
            {
                "lines": [
                    {"line_id": "1", "sku": "SKIN-SERUM", "quantity": 1},
                    {"line_id": "1", "sku": "SKIN-CLEANSER", "quantity": 1},
                ]
            },
            "lines",
        ),
        ({"lines": []}, "lines"),
        ({"customer": {"name": "X", "email": "not-an-email"}}, "customer.email"),
        ({"delivery": "pickup", "pickup_location_id": "NWK-DC"}, "pickup_location_id"),
    ],
)
def test_bad_orders_get_422_naming_the_field_and_create_nothing(
    stack: Stack, change: dict[str, object], field: str
) -> None:
    order_id = f"BAD-{abs(hash(field + str(change))) % 10**8}"
    with stack.client() as http:
        response = http.post("/orders", json=order_body(order_id, **change))
        assert response.status_code == 422, response.text
        assert (
            response.json()["message"].startswith(field)
            or f"{field}:" in response.json()["message"]
        )
        assert http.get(f"/orders/{order_id}").status_code == 404


def test_same_order_twice_is_harmless_and_a_different_body_conflicts(stack: Stack) -> None:
    with stack.client() as http:
        body = order_body("TB-3", lines=[{"line_id": "1", "sku": "CANDLE-CEDAR", "quantity": 1}])
        assert http.post("/orders", json=body).status_code == 202
        again = http.post("/orders", json=body)
        assert again.status_code == 200 and again.json()["created"] is False
        other = order_body("TB-3", lines=[{"line_id": "1", "sku": "CANDLE-CEDAR", "quantity": 2}])
        conflict = http.post("/orders", json=other)
        assert conflict.status_code == 409
        assert "different body" in conflict.json()["message"]
        order = wait_for(http, "TB-3", lambda o: o["fulfillments"], "allocated")
        assert sum(line["quantity"] for f in order["fulfillments"] for line in f["lines"]) == 1


def test_location_events_are_checked(stack: Stack) -> None:
    with stack.client() as http:
        order = wait_for(http, "TB-3", lambda o: o["fulfillments"], "allocated")
        [package] = order["fulfillments"]
        fid, owner = package["fulfillment_id"], package["location_id"]
        other = "NWK-DC" if owner != "NWK-DC" else "PHX-STORE"
        wrong_place = http.post(
            f"/locations/{other}/fulfillments/{fid}/events", json={"type": "accepted"}
        )
        assert wrong_place.status_code == 404
        unknown = http.post(
            f"/locations/{owner}/fulfillments/TB-3-F9/events", json={"type": "accepted"}
        )
        assert unknown.status_code == 404
        url = f"/locations/{owner}/fulfillments/{fid}/events"
        assert http.post(url, json={"type": "packed"}).status_code == 202
        backwards = http.post(url, json={"type": "accepted"})
        assert backwards.status_code == 409 and "backwards" in backwards.json()["message"]
        assert http.post(url, json={"type": "teleported"}).status_code == 422
        assert http.get("/orders/NOPE").status_code == 404
        assert http.get("/inventory/NOPE").status_code == 404
        assert http.get("/locations/NOPE/fulfillments").status_code == 404


def search(http: httpx.Client, params: dict[str, object], expect: set[str]) -> list[dict]:
    """Search until the expected orders show (visibility is eventually consistent)."""
    deadline = time.monotonic() + 10
    while True:
        response = http.get("/orders", params=params)
        assert response.status_code == 200, response.text
        found = response.json()
        if expect <= {o["order_id"] for o in found} or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_support_finds_orders_by_status_customer_location_sku_and_date(stack: Stack) -> None:
    with stack.client() as http:
        shipped = search(http, {"status": "shipped"}, {"TB-1", "TB-2"})
        assert {"TB-1", "TB-2"} <= {o["order_id"] for o in shipped}
        assert all(o["status"] == "shipped" for o in shipped)
        placed = [o["placed_at"] for o in shipped]
        assert placed == sorted(placed, reverse=True)  # newest first

        by_email = search(http, {"customer_email": "DANA@example.com"}, {"TB-1", "TB-2"})
        assert {"TB-1", "TB-2"} <= {o["order_id"] for o in by_email}
        assert search(http, {"customer_email": "nobody@example.com"}, set()) == []

        at_chicago = {o["order_id"] for o in search(http, {"location_id": "CHI-STORE"}, {"TB-2"})}
        assert "TB-2" in at_chicago and "TB-1" not in at_chicago
        candles = {o["order_id"] for o in search(http, {"sku": "CANDLE-CEDAR"}, {"TB-3"})}
        assert "TB-3" in candles and "TB-1" not in candles

        one = http.get("/orders", params={"limit": 1}).json()
        assert len(one) == 1
        future = http.get("/orders", params={"placed_after": "2999-01-01T00:00:00Z"}).json()
        assert future == []
        assert http.get("/orders", params={"status": "lost"}).status_code == 422
        assert http.get("/orders", params={"sku": "x' OR '1'='1"}).status_code == 422
        assert (
            http.get("/orders", params={"placed_after": "2026-01-01T00:00:00"}).status_code == 422
        )
