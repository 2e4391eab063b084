"""``POST /promise`` against the real stack: the order placed right after a promise is
routed exactly as promised (locations, lines, cost), and nothing is reserved by asking."""

from __future__ import annotations

import httpx
import pytest

from tests.support.builders import SKINCARE_SET, order_body
from tests.support.http import stock_of, wait_for
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def _promise(http: httpx.Client, lines: list[dict], postal_code: str, level: str) -> dict:
    response = http.post(
        "/promise",
        json={"lines": lines, "ship_to": {"postal_code": postal_code}, "service_level": level},
    )
    assert response.status_code == 200, response.text
    [option] = response.json()["ship_options"]
    return option


def _packages(packages: list[dict]) -> list[tuple[str, list[tuple[str, int]]]]:
    return sorted(
        (p["location_id"], sorted((line["sku"], line["quantity"]) for line in p["lines"]))
        for p in packages
    )


@pytest.mark.parametrize(
    ("order_id", "lines", "postal_code", "level"),
    [
        ("PR-1", [{"sku": sku, "quantity": 1} for sku in SKINCARE_SET], "80202", "ground"),
        ("PR-2", [{"sku": sku, "quantity": 1} for sku in SKINCARE_SET], "10001", "express"),
        ("PR-3", [{"sku": "CANDLE-CEDAR", "quantity": 52}], "80202", "ground"),  # a split
    ],
)
def test_the_order_placed_after_a_promise_is_routed_as_promised(
    stack: Stack, order_id: str, lines: list[dict], postal_code: str, level: str
) -> None:
    with stack.client() as http:
        reserved_before = {sku: stock_of(http, sku) for sku in ("SKIN-SERUM", "CANDLE-CEDAR")}
        option = _promise(http, lines, postal_code, level)
        assert {sku: stock_of(http, sku) for sku in reserved_before} == reserved_before

        numbered = [{"line_id": str(i + 1), **line} for i, line in enumerate(lines)]
        body = order_body(order_id, postal_code, lines=numbered, service_level=level)
        assert http.post("/orders", json=body).status_code == 202
        order = wait_for(http, order_id, lambda o: o["status"] == "fulfilling", "fulfilling")

        plan = order["routing"]["plan"]
        assert _packages(plan["packages"]) == _packages(option["packages"])
        assert plan["cost"] == option["cost"]
        assert plan["transit_days"] == option["transit_days"]
        assert _packages(order["fulfillments"]) == _packages(option["packages"])
        assert option["split"] is (len(order["fulfillments"]) > 1)


def test_a_promised_pickup_store_takes_the_pickup_order(stack: Stack) -> None:
    lines = [{"sku": "SKIN-SERUM", "quantity": 1}]
    with stack.client() as http:
        promised = http.post("/promise", json={"lines": lines, "ship_to": {"postal_code": "60602"}})
        [store] = promised.json()["pickup_options"]
        assert store["location_id"] == "CHI-STORE"

        body = order_body(
            "PR-PICKUP",
            "60602",
            lines=[{"line_id": "1", **lines[0]}],
            delivery="pickup",
            pickup_location_id=store["location_id"],
        )
        assert http.post("/orders", json=body).status_code == 202
        order = wait_for(http, "PR-PICKUP", lambda o: o["status"] == "fulfilling", "fulfilling")
        assert [f["location_id"] for f in order["fulfillments"]] == ["CHI-STORE"]
