"""``POST /promise`` over a real store: options, pickup stores, nothing reserved, and the
same answer the allocate activity gives the order placed right after."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from activities.inventory import InventoryActivities
from adapters.store import InventoryStore
from domain.checkout import OrderRequest
from domain.orders import AllocationRequest, merge_lines
from domain.routing import RoutingLine
from tests.support.builders import DENVER, address, order_body

SKINCARE_SET = [
    {"sku": "SKIN-CLEANSER", "quantity": 1},
    {"sku": "SKIN-SERUM", "quantity": 1},
    {"sku": "SKIN-MOISTURIZER", "quantity": 1},
]
MONDAY_NOON_DENVER = "2026-11-23T12:00:00-07:00"


def allocate_like_the_workflow(store: InventoryStore, order: OrderRequest) -> list[tuple]:
    """Reserve the order the way its workflow's first allocation does (workflows/order.py)."""
    point = order.ship_to.point
    lines = merge_lines([RoutingLine(sku=s, quantity=q) for s, q in order.units_by_sku().items()])
    allocation = InventoryActivities(store).allocate(
        AllocationRequest(
            order_id=order.order_id,
            allocation_key=f"{order.order_id}:A1",
            first_fulfillment_number=1,
            lines=lines,
            ship_to=order.ship_to,
            customer_name=order.customer.name,
            dest_lat=point.lat,
            dest_lon=point.lon,
            service_level=order.service_level,
            delivery=order.delivery,
            pickup_location_id=order.pickup_location_id,
            channel=order.channel,
        )
    )
    plan = allocation.decision.plan
    assert plan is not None, allocation.decision.reason
    return [_package(p) for p in plan.packages] + [str(plan.cost)]


def _package(package) -> tuple:
    return (package.location_id, sorted((line.sku, line.quantity) for line in package.lines))


def _promised(option: dict) -> list[tuple]:
    return [
        (p["location_id"], sorted((line["sku"], line["quantity"]) for line in p["lines"]))
        for p in option["packages"]
    ] + [option["cost"]]


def test_the_promise_lists_each_service_level_with_dates(api: TestClient) -> None:
    response = api.post(
        "/promise",
        json={"lines": SKINCARE_SET, "ship_to": {"postal_code": "80202"}, "at": MONDAY_NOON_DENVER},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    ground, express = body["ship_options"]
    assert (ground["service_level"], express["service_level"]) == ("ground", "express")
    assert [p["location_id"] for p in ground["packages"]] == ["SLC-3PL"]
    assert ground["split"] is False
    # SLC is 370 miles from Denver (zone 4): ground 3 business days, express 2.
    [package] = ground["packages"]
    assert (package["ship_date"], package["timezone"], package["cutoff"]) == (
        "2026-11-23",
        "America/Denver",
        "14:00:00",
    )
    assert (ground["transit_days"], ground["estimated_delivery_date"]) == (3, "2026-11-26")
    assert (express["transit_days"], express["estimated_delivery_date"]) == (2, "2026-11-25")
    assert float(express["cost"]) > float(ground["cost"])
    assert body["pickup_options"] == []  # no pickup store within 25 miles of Denver
    assert body["unavailable"] == []


def test_a_cutoff_set_on_the_location_moves_the_ship_date(api: TestClient) -> None:
    api.patch("/locations/SLC-3PL", json={"cutoff": "11:00"})
    body = {
        "lines": SKINCARE_SET,
        "ship_to": {"postal_code": "80202"},
        "service_level": "ground",
        "at": MONDAY_NOON_DENVER,
    }

    [ground] = api.post("/promise", json=body).json()["ship_options"]

    assert ground["packages"][0]["ship_date"] == "2026-11-24"
    assert ground["packages"][0]["cutoff"] == "11:00:00"
    assert ground["estimated_delivery_date"] == "2026-11-27"
    friday_late = api.post("/promise", json={**body, "at": "2026-11-27T12:00:00-07:00"}).json()
    assert friday_late["ship_options"][0]["packages"][0]["ship_date"] == "2026-11-30"
    assert friday_late["ship_options"][0]["estimated_delivery_date"] == "2026-12-03"


def test_a_split_says_so_and_arrives_with_its_last_package(api: TestClient) -> None:
    response = api.post(
        "/promise",
        json={
            "lines": [{"sku": "CANDLE-CEDAR", "quantity": 52}],
            "ship_to": {"postal_code": "80202"},
            "service_level": "ground",
        },
    )

    [option] = response.json()["ship_options"]
    assert option["split"] is True
    assert sorted(p["location_id"] for p in option["packages"]) == ["NWK-DC", "PHX-STORE"]
    assert option["estimated_delivery_date"] == max(
        p["estimated_delivery_date"] for p in option["packages"]
    )


def test_pickup_stores_near_the_customer_that_hold_the_whole_cart(api: TestClient) -> None:
    chicago = {"postal_code": "60602"}

    body = api.post("/promise", json={"lines": SKINCARE_SET, "ship_to": chicago}).json()
    [store] = body["pickup_options"]
    assert (store["location_id"], store["name"]) == ("CHI-STORE", "Chicago store")
    assert store["distance_miles"] < 2
    assert date.fromisoformat(store["ready_by"][:10])  # local time, with its offset
    assert store["ready_by"].endswith(("-06:00", "-05:00"))

    # The store keeps one unit of each SKU as safety stock: 5 on hand promise 4.
    four = [{"sku": "SKIN-SERUM", "quantity": 4}]
    five = [{"sku": "SKIN-SERUM", "quantity": 5}]
    assert api.post("/promise", json={"lines": four, "ship_to": chicago}).json()["pickup_options"]
    assert not api.post("/promise", json={"lines": five, "ship_to": chicago}).json()[
        "pickup_options"
    ]
    # Too far away for the radius asked for.
    far = {"lines": SKINCARE_SET, "ship_to": {"postal_code": "60187"}}  # Wheaton, ~25 mi
    assert (
        api.post("/promise", json={**far, "pickup_radius_miles": 5}).json()["pickup_options"] == []
    )
    assert api.post("/promise", json={**far, "pickup_radius_miles": 40}).json()["pickup_options"]


def test_an_unfulfillable_cart_says_why_per_service_level(api: TestClient) -> None:
    body = api.post(
        "/promise",
        json={
            "lines": [{"sku": "CANDLE-CEDAR", "quantity": 500}],
            "ship_to": {"postal_code": "80202"},
        },
    ).json()

    assert body["ship_options"] == [] and body["pickup_options"] == []
    assert [u["service_level"] for u in body["unavailable"]] == ["ground", "express"]
    assert "CANDLE-CEDAR" in body["unavailable"][0]["reason"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"sku": "UNOBTAINIUM", "quantity": 1}]}, "lines[0].sku"),
        ({"lines": [{"sku": "SKIN-SERUM", "quantity": 0}]}, "lines[0].quantity"),
        ({"lines": []}, "lines"),
        ({"ship_to": {"postal_code": "ABCDE"}}, "ship_to.postal_code"),
        ({"service_level": "teleport"}, "service_level"),
        ({"pickup_radius_miles": 0}, "pickup_radius_miles"),
        ({"at": "2026-11-23T12:00:00"}, "at"),
    ],
)
def test_bad_promises_name_the_field(api: TestClient, change: dict, field: str) -> None:
    body = {"lines": SKINCARE_SET, "ship_to": {"postal_code": "80202"}, **change}

    response = api.post("/promise", json=body)

    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(f"{field}:")


def test_a_promise_reserves_nothing(api: TestClient, store: InventoryStore) -> None:
    before = {sku: store.balances(sku) for sku in ("SKIN-SERUM", "CANDLE-CEDAR")}

    for _ in range(3):
        answer = api.post(
            "/promise", json={"lines": SKINCARE_SET, "ship_to": {"postal_code": "60602"}}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["ship_options"]  # a real quote was made, and reserved nothing

    assert {sku: store.balances(sku) for sku in before} == before
    assert store.open_reservations() == []


@pytest.mark.parametrize(
    ("lines", "postal_code", "service_level"),
    [
        (SKINCARE_SET, "80202", "ground"),
        (SKINCARE_SET, "80202", "express"),
        (SKINCARE_SET, "10001", "ground"),
        ([{"sku": "CANDLE-CEDAR", "quantity": 52}], "80202", "ground"),
        ([{"sku": "SKIN-SERUM", "quantity": 2}, {"sku": "CANDLE-CEDAR", "quantity": 1},
          {"sku": "SKIN-SERUM", "quantity": 1}], "85004", "express"),
    ],
)  # fmt: skip
def test_the_order_placed_after_a_promise_is_routed_as_promised(
    api: TestClient, store: InventoryStore, lines: list, postal_code: str, service_level: str
) -> None:
    ship_to = address(postal_code)
    [option] = api.post(
        "/promise", json={"lines": lines, "ship_to": ship_to, "service_level": service_level}
    ).json()["ship_options"]

    order = OrderRequest.model_validate(
        {
            "order_id": "AFTER-1",
            "customer": {"name": "Pat", "email": "pat@example.com"},
            "ship_to": ship_to,
            "lines": [{"line_id": str(i), **line} for i, line in enumerate(lines)],
            "service_level": service_level,
        }
    )
    assert allocate_like_the_workflow(store, order) == _promised(option)


def test_the_promise_takes_the_orders_own_lines_and_answers_per_line(api: TestClient) -> None:
    order = order_body("LINES-1")  # the body checkout will post to /orders right after
    body = {"lines": order["lines"], "ship_to": order["ship_to"], "at": MONDAY_NOON_DENVER}

    response = api.post("/promise", json=body)

    assert response.status_code == 200, response.text
    for option in response.json()["ship_options"]:
        assert [(line["line_id"], line["sku"], line["quantity"]) for line in option["lines"]] == [
            (line["line_id"], line["sku"], line["quantity"]) for line in order["lines"]
        ]
        for line in option["lines"]:
            assert line["estimated_delivery_date"] == option["estimated_delivery_date"]
            assert line["ships_from"] == [
                {
                    "location_id": "SLC-3PL",
                    "quantity": line["quantity"],
                    "estimated_delivery_date": option["estimated_delivery_date"],
                }
            ]
    assert api.post("/orders", json=order).status_code == 202  # the same lines, unchanged


def test_a_line_without_an_id_is_answered_in_its_place(api: TestClient) -> None:
    lines = [{"sku": "SKIN-SERUM", "quantity": 1}, {"line_id": "x", "sku": "SKIN-SERUM",
                                                   "quantity": 2}]  # fmt: skip
    body = {"lines": lines, "ship_to": DENVER, "service_level": "ground"}
    [option] = api.post("/promise", json=body).json()["ship_options"]
    assert [(line["line_id"], line["quantity"]) for line in option["lines"]] == [
        (None, 1),
        ("x", 2),
    ]
    assert option["packages"][0]["lines"] == [{"sku": "SKIN-SERUM", "quantity": 3}]  # merged


def test_a_line_that_splits_says_where_each_part_ships_from(api: TestClient) -> None:
    lines = [
        {"line_id": "a", "sku": "CANDLE-CEDAR", "quantity": 30},
        {"line_id": "b", "sku": "CANDLE-CEDAR", "quantity": 22},
    ]
    body = {"lines": lines, "ship_to": {"postal_code": "80202"}, "service_level": "ground"}
    [option] = api.post("/promise", json=body).json()["ship_options"]
    packages = {p["location_id"]: p for p in option["packages"]}
    answered = {line["line_id"]: line for line in option["lines"]}
    assert sum(s["quantity"] for s in answered["a"]["ships_from"]) == 30
    assert sum(s["quantity"] for s in answered["b"]["ships_from"]) == 22
    for line in answered.values():
        for source in line["ships_from"]:
            held = packages[source["location_id"]]
            assert source["estimated_delivery_date"] == held["estimated_delivery_date"]
        assert line["estimated_delivery_date"] == max(
            s["estimated_delivery_date"] for s in line["ships_from"]
        )
    shipped = {loc: p["lines"][0]["quantity"] for loc, p in packages.items()}
    given = {}
    for line in answered.values():
        for source in line["ships_from"]:
            given[source["location_id"]] = given.get(source["location_id"], 0) + source["quantity"]
    assert given == shipped  # every unit of every package is some line's


@pytest.mark.parametrize(
    ("lines", "field", "kind"),
    [
        (
            [{"line_id": "1", "sku": "SKIN-SERUM", "quantity": 1},
             {"line_id": "1", "sku": "SKIN-CLEANSER", "quantity": 1}],
            "lines", "duplicate",
        ),
        ([{"line_id": "a b", "sku": "SKIN-SERUM", "quantity": 1}], "lines[0].line_id",
         "string_pattern_mismatch"),
        ([{"sku": "SKIN-SERUM", "quantity": 1, "note": "x"}], "lines[0].note", "extra_forbidden"),
    ],
)  # fmt: skip
def test_promise_lines_are_checked_as_order_lines_are(
    api: TestClient, lines: list, field: str, kind: str
) -> None:
    response = api.post("/promise", json={"lines": lines, "ship_to": {"postal_code": "80202"}})
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(f"{field}:")
    assert response.json()["detail"][0]["type"] == kind


def test_orders_and_promises_share_one_line_schema(api: TestClient) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    promise_lines = schemas["PromiseRequest"]["properties"]["lines"]["items"]["$ref"]
    assert promise_lines.endswith("/CartLine")
    order_line = next(s for name, s in schemas.items() if name.startswith("OrderLineRequest"))
    assert set(order_line["properties"]) == set(schemas["CartLine"]["properties"])
    assert "line_id" in order_line["required"] and "line_id" not in schemas["CartLine"].get(
        "required", []
    )
