"""The catalogue through the API: SKUs with names; operations adds and names them, and
a new SKU can be stocked and ordered at once, without reloading the network."""

from __future__ import annotations

from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from domain.access import Role, TokenGrant
from services.access import issue_token


def bearer(store: InventoryStore, role: str, location: str | None = None) -> dict[str, str]:
    token, _ = issue_token(
        store, TokenGrant(f"t-{role}", Role(role), location), created_by="system:test"
    )
    return {"Authorization": f"Bearer {token}"}


def test_the_catalogue_lists_skus_with_their_names(api: TestClient) -> None:
    skus = api.get("/skus").json()
    assert [s["sku"] for s in skus][:2] == ["SKIN-CLEANSER", "SKIN-SERUM"]
    assert set(skus[0]) == {"sku", "weight_lb", "name"}


def test_ops_adds_a_sku_that_can_be_stocked_at_once(api: TestClient) -> None:
    added = api.post("/skus", json={"sku": "SOAP-LAV", "weight_lb": 0.5, "name": "Lavender soap"})
    assert added.status_code == 201, added.text
    assert added.json() == {"sku": "SOAP-LAV", "weight_lb": 0.5, "name": "Lavender soap"}
    received = api.post(
        "/inventory/receipts", json={"location_id": "NWK-DC", "sku": "SOAP-LAV", "quantity": 5}
    )
    assert received.status_code == 200, received.text
    again = api.post("/skus", json={"sku": "SOAP-LAV", "weight_lb": 0.5})
    assert again.status_code == 409 and "PATCH it instead" in again.json()["message"]


def test_a_sku_is_named_and_renamed(api: TestClient) -> None:
    named = api.patch("/skus/CANDLE-CEDAR", json={"name": "Cedar soy candle"})
    assert named.json() == {"sku": "CANDLE-CEDAR", "weight_lb": 1.4, "name": "Cedar soy candle"}
    assert api.patch("/skus/CANDLE-CEDAR", json={"weight_lb": 1.5}).json()["name"] == (
        "Cedar soy candle"
    )
    cleared = api.patch("/skus/CANDLE-CEDAR", json={"name": None, "weight_lb": None})
    assert cleared.json() == {"sku": "CANDLE-CEDAR", "weight_lb": 1.5, "name": None}
    assert api.patch("/skus/NOPE", json={"name": "x"}).status_code == 404
    assert api.patch("/skus/CANDLE-CEDAR", json={"weight_lb": 0}).status_code == 422
    assert api.patch("/skus/CANDLE-CEDAR", json={"colour": "red"}).status_code == 422


def test_who_may_read_and_change_the_catalogue(api: TestClient, store: InventoryStore) -> None:
    support, checkout = bearer(store, "support"), bearer(store, "checkout")
    location = bearer(store, "location", "CHI-STORE")
    assert api.get("/skus", headers=support).status_code == 200
    assert api.get("/skus", headers=location).status_code == 200
    assert api.get("/skus", headers=checkout).status_code == 403
    assert api.patch("/skus/SKIN-SERUM", json={"name": "x"}, headers=support).status_code == 403
    new = {"sku": "X-1", "weight_lb": 1}
    assert api.post("/skus", json=new, headers=location).status_code == 403
    assert api.post("/skus", json=new, headers=bearer(store, "ops")).status_code == 201
