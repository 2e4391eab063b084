"""A shipped order names where the parcel goes: street, city and region besides the ZIP
(a 422 naming the missing field otherwise); a pickup order needs only the ZIP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.builders import DENVER, order_body
from tests.support.fakes import FakeOrderGateway


@pytest.mark.parametrize("field", ["address1", "city", "region"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_shipped_order_without_a_street_city_or_region_is_422_naming_it(
    api: TestClient, gateway: FakeOrderGateway, field: str, value: str | None
) -> None:
    ship_to = {k: v for k, v in DENVER.items() if k != field}
    if value is not None:
        ship_to[field] = value
    response = api.post("/orders", json=order_body("ADDR-1", ship_to=ship_to))
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "ship_to", field]
    assert problem["type"] == "inconsistent"
    assert response.json()["message"].startswith(f"ship_to.{field}: a shipped order needs")
    assert gateway.placed == {}


def test_every_missing_part_of_the_address_is_named_at_once(api: TestClient) -> None:
    response = api.post("/orders", json=order_body("ADDR-2", ship_to={"postal_code": "80202"}))
    assert response.status_code == 422
    assert [p["loc"][-1] for p in response.json()["detail"]] == ["address1", "city", "region"]


def test_a_pickup_order_needs_only_the_zip(api: TestClient, gateway: FakeOrderGateway) -> None:
    body = order_body(
        "ADDR-3",
        ship_to={"postal_code": "60601"},
        delivery="pickup",
        pickup_location_id="CHI-STORE",
    )
    assert api.post("/orders", json=body).status_code == 202
    assert "ADDR-3" in gateway.placed


def test_a_second_address_line_is_taken_and_kept(
    api: TestClient, gateway: FakeOrderGateway
) -> None:
    ship_to = {**DENVER, "name": "Dana Denver", "address2": "Apt 4"}
    response = api.post("/orders", json=order_body("ADDR-4", ship_to=ship_to))
    assert response.status_code == 202, response.text
    shown = api.get("/orders/ADDR-4").json()["ship_to"]
    assert (shown["address1"], shown["address2"], shown["city"], shown["region"]) == (
        "1701 Wynkoop Street",
        "Apt 4",
        "Denver",
        "CO",
    )


def test_the_schema_says_which_fields_a_shipped_order_needs(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()["components"]["schemas"]
    ship_to = next(s for name, s in schema.items() if name.startswith("ShipTo"))
    assert "address2" in ship_to["properties"]
    assert "ship" in ship_to["description"] and "street" in ship_to["description"]
