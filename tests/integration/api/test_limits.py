"""Sizes: a field too long is a 422 naming it; a body too large is a 413 saying what to
shorten, before anything reaches Temporal; never a 500 or a 'retry later' 503."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from temporalio.service import RPCError, RPCStatusCode

from starter.api.limits import MAX_BODY_BYTES
from tests.support.builders import order_body
from tests.support.fakes import FakeOrderGateway


@pytest.mark.parametrize("megabytes", [3, 10])
def test_a_body_of_megabytes_is_413_and_reaches_nothing(
    api: TestClient, gateway: FakeOrderGateway, megabytes: int
) -> None:
    response = api.post(
        "/orders",
        json=order_body("BIG-1", skus=["SKIN-SERUM"], address1="x" * (megabytes * 1024 * 1024)),
    )
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "PayloadTooLarge" and "shorten" in body["message"]


def test_a_long_field_under_the_body_limit_is_422_naming_it(api: TestClient) -> None:
    response = api.post(
        "/orders", json=order_body("BIG-1", skus=["SKIN-SERUM"], address1="x" * 5000)
    )
    assert response.status_code == 422
    assert response.json()["message"].startswith("ship_to.address1:")


def test_a_streamed_body_without_a_length_is_cut_at_the_limit(api: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"order_id": "BIG-2", "customer": {"name": "'
        for _ in range(MAX_BODY_BYTES // 1024 + 8):
            yield b"x" * 1024
        yield b'"}}'

    response = api.post("/orders", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_a_bulk_sync_may_be_larger_than_an_order(api: TestClient) -> None:
    counts = '{"counts": [{"sku": "SKIN-SERUM", "on_hand": 7}]}'
    body = counts + " " * (MAX_BODY_BYTES + 1024)  # valid JSON, past an order's limit
    response = api.post(
        "/inventory/NWK-DC/sync", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["counted"] == 1
    row = next(
        r
        for r in api.get("/inventory/SKIN-SERUM").json()["locations"]
        if r["location_id"] == "NWK-DC"
    )
    assert row["on_hand"] == 7


@pytest.mark.parametrize(
    "message",
    [
        "Blob data size exceeds limit.",
        "grpc: received message larger than max (5242880 vs. 4194304)",
    ],
)
def test_temporal_refusing_a_size_is_413_not_an_outage(
    api: TestClient, gateway: FakeOrderGateway, message: str
) -> None:
    status = (
        RPCStatusCode.INVALID_ARGUMENT if "Blob" in message else RPCStatusCode.RESOURCE_EXHAUSTED
    )

    gateway.failure = RPCError(message, status, b"")
    response = api.post("/orders", json=order_body("BIG-1", skus=["SKIN-SERUM"]))
    assert response.status_code == 413
    assert "shorten" in response.json()["message"]


@pytest.mark.parametrize(
    ("field", "raw"),
    [("handling_cost", "Infinity"), ("handling_cost", "1e400"), ("safety_stock", "10000000000000")],
)
def test_a_location_setting_that_could_not_be_costed_is_422(
    api: TestClient, field: str, raw: str
) -> None:
    body = f'{{"id": "BAD-1", "kind": "store", "postal_code": "80202", "{field}": {raw}}}'
    created = api.post("/locations", content=body, headers={"content-type": "application/json"})
    assert created.status_code == 422, created.text
    assert created.json()["message"].startswith(f"{field}:")
    patched = api.patch(
        "/locations/NWK-DC",
        content=f'{{"{field}": {raw}}}',
        headers={"content-type": "application/json"},
    )
    assert patched.status_code == 422, patched.text
    assert api.get("/locations/NWK-DC").json()[field] != float("inf")
