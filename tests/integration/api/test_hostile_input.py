"""Hostile input at the edge: unknown fields, ids outside the alphabet, coerced types and
odd encodings are 4xx answers that name what is wrong, never a 500. Each case here is
one the schema fuzz (test_fuzz.py) found, or the rule it checks."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.support.builders import order_body


def test_an_unknown_field_is_422_naming_it(api: TestClient) -> None:
    response = api.post("/orders", json=order_body(coupon="FREE"))
    assert response.status_code == 422
    assert response.json()["message"] == "coupon: Extra inputs are not permitted"
    nested = api.post("/orders", json=order_body(ship_to={"postal_code": "80202", "floor": 3}))
    assert nested.status_code == 422 and nested.json()["message"].startswith("ship_to.floor:")


def test_an_unknown_field_of_an_event_is_422(api: TestClient) -> None:
    response = api.post(
        "/locations/NWK-DC/fulfillments/A-1-F1/events", json={"type": "accepted", "by": "x"}
    )
    assert response.status_code == 422 and response.json()["message"].startswith("by:")


@pytest.mark.parametrize("path", ["/orders/a%20b", "/locations/-DC", "/inventory/SKU%3B1"])
def test_an_id_outside_the_alphabet_is_422(api: TestClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 422, response.text


def test_a_fulfillment_id_is_its_order_id_and_a_number(api: TestClient) -> None:
    response = api.post("/locations/NWK-DC/fulfillments/A-1/events", json={"type": "accepted"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "fulfillment_id"]


@pytest.mark.parametrize("body", [{"quantity": "2"}, {"quantity": True}])
def test_a_number_is_not_coerced_from_text_or_a_boolean(
    api: TestClient, body: dict[str, object]
) -> None:
    line = {"line_id": "1", "sku": "SKIN-SERUM", **body}
    response = api.post("/orders", json=order_body(lines=[line]))
    assert response.status_code == 422
    assert response.json()["message"].startswith("lines[0].quantity:")


N = "__N__"
"""Where a test body takes the number under test, written into the JSON as sent."""

NEW = {"id": "DEN-DC", "kind": "warehouse", "postal_code": "80202"}
STOCK = {"location_id": "NWK-DC", "sku": "SKIN-SERUM"}
LINE = {"sku": "SKIN-SERUM", "quantity": N}
# Every integer field of a request body (the OpenAPI schema's "integer"s), in a body
# that is otherwise valid; the 422 must name the field.
INTEGER_FIELDS: list[tuple[str, str, dict[str, object], str]] = [
    ("POST", "/orders", order_body(lines=[{"line_id": "1", **LINE}]), "lines[0].quantity"),
    (
        "POST",
        "/locations/NWK-DC/fulfillments/A-1-F1/events",
        {"type": "shipped", "lines": [LINE]},
        "lines[0].quantity",
    ),
    ("POST", "/inventory/receipts", {**STOCK, "quantity": N}, "quantity"),
    ("POST", "/inventory/adjustments", {**STOCK, "delta": N, "reason": "count"}, "delta"),
    ("PUT", "/inventory/NWK-DC/SKIN-SERUM", {"on_hand": N}, "on_hand"),
    (
        "POST",
        "/inventory/NWK-DC/sync",
        {"counts": [{"sku": "SKIN-SERUM", "on_hand": N}]},
        "counts[0].on_hand",
    ),
    ("POST", "/locations", {**NEW, "stock": {"SKIN-SERUM": N}}, "stock.SKIN-SERUM"),
    ("POST", "/locations", {**NEW, "safety_stock": N}, "safety_stock"),
    ("POST", "/locations", {**NEW, "daily_capacity": N}, "daily_capacity"),
    ("POST", "/locations", {**NEW, "priority": N}, "priority"),
    ("PATCH", "/locations/NWK-DC", {"daily_capacity": N}, "daily_capacity"),
    ("PATCH", "/locations/NWK-DC", {"safety_stock": N}, "safety_stock"),
    ("PATCH", "/locations/NWK-DC", {"priority": N}, "priority"),
    ("POST", "/promise", {"postal_code": "80202", "lines": [LINE]}, "lines[0].quantity"),
]


def send(api: TestClient, method: str, path: str, body: dict[str, object], number: str) -> Response:
    """``body`` as JSON with ``number`` written, as is, where it holds ``N``."""
    text = json.dumps(body).replace(f'"{N}"', number)
    return api.request(method, path, content=text, headers={"content-type": "application/json"})


def world(api: TestClient) -> list[object]:
    """What a refused request must leave as it was: locations, stock, orders."""
    return [api.get(path).json() for path in ("/locations", "/inventory/NWK-DC", "/orders")]


@pytest.mark.parametrize("number", ["2.0", "1e2", "-0.0", "2.5", "1E0"])
def test_an_integer_field_refuses_a_float_naming_the_field(api: TestClient, number: str) -> None:
    """JSON Schema counts 2.0 as an integer; Switchyard does not: a count written as a
    float is a client bug (or a probe), and 1e2 is not how anyone writes 100 units."""
    before = world(api)
    for method, path, body, field in INTEGER_FIELDS:
        response = send(api, method, path, body, number)
        assert response.status_code == 422, (path, field, response.text)
        assert response.json()["message"].startswith(f"{field}: "), (path, response.text)
    assert world(api) == before


def test_an_integer_field_takes_an_integer(api: TestClient) -> None:
    body = {**STOCK, "quantity": N}
    assert send(api, "POST", "/inventory/receipts", body, "2").status_code == 200
    assert api.get("/orders", params={"limit": "5"}).status_code == 200  # query text still


def test_a_search_date_is_iso_text_not_seconds(api: TestClient) -> None:
    response = api.get("/orders", params={"placed_after": "0.5"})
    assert response.status_code == 422 and "ISO 8601" in response.json()["message"]


@pytest.mark.parametrize("eol", ["\r", "\r\n", "\n"])
def test_a_csv_sync_reads_any_line_ending(api: TestClient, eol: str) -> None:
    """A lone CR (a classic Mac export) was a 500: the csv module saw it inside a field."""
    body = eol.join(["sku,on_hand", "SKIN-SERUM,7", "SKIN-CLEANSER,3", ""])
    response = api.post(
        "/inventory/NWK-DC/sync", content=body, headers={"content-type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["counted"] == 2


def test_a_csv_field_too_large_to_read_is_422(api: TestClient) -> None:
    body = "sku,on_hand\n" + '"' + "x" * 200_000 + '",1\n'
    response = api.post(
        "/inventory/NWK-DC/sync", content=body, headers={"content-type": "text/csv"}
    )
    assert response.status_code == 422, response.text
    assert "CSV cannot be read" in response.json()["message"]


@pytest.mark.parametrize("value", [{}, [], True, "99999999999999w", 1e300])
def test_a_duration_that_is_not_one_is_422_not_500(api: TestClient, value: object) -> None:
    response = api.patch("/locations/NWK-DC", json={"sla": {"pickup_window": value}})
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith("sla.pickup_window:")


def test_a_patch_cannot_clear_a_setting_every_location_has(api: TestClient) -> None:
    response = api.patch("/locations/NWK-DC", json={"name": None, "active": None})
    assert response.status_code == 422
    assert {p["loc"][-1] for p in response.json()["detail"]} == {"name", "active"}


def test_an_adapter_must_say_its_type(api: TestClient) -> None:
    response = api.patch("/locations/NWK-DC", json={"adapter": {"carrier": "UPS"}})
    assert response.status_code == 422 and response.json()["message"].startswith("adapter")


@pytest.mark.parametrize("name", ["x" * 300, "Mars/Olympus"])
def test_an_unknown_time_zone_is_422(api: TestClient, name: str) -> None:
    response = api.patch("/locations/NWK-DC", json={"timezone": name})
    assert response.status_code == 422, response.text


def test_a_ledger_cursor_past_any_row_id_is_422_not_500(api: TestClient) -> None:
    cursor = base64.urlsafe_b64encode(b"id:" + b"9" * 40).decode().rstrip("=")
    response = api.get("/inventory/NWK-DC/SKIN-SERUM/ledger", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "invalid_cursor"


def test_a_wrong_method_is_405_in_the_error_shape(api: TestClient) -> None:
    response = api.delete("/orders")
    assert response.status_code == 405
    assert response.json()["message"] == "Method Not Allowed"
    # Every method of the path, not only the first route's (Starlette said "POST").
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}
    # A path two templates match is the one its name says (not /inventory/{location_id}).
    assert api.delete("/inventory/receipts").headers["allow"] == "POST"


def test_a_rule_a_schema_cannot_state_is_named_by_its_kind(api: TestClient) -> None:
    response = api.post("/orders", json=order_body(ship_to={"postal_code": "00000"}))
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "unknown_postal_code"
