"""Holds at the HTTP edge: one body shape for checkout's ``hold`` and ``POST
/orders/{id}/hold``, refused with a 422 naming the field; who may hold; the caller's
``Idempotency-Key`` handed to the gateway; refusals as 404/409. (The workflow's own
behaviour: tests/workflows/test_holds.py; over a real stack: tests/e2e/test_holds.py.)"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from domain.access import Role, TokenGrant
from services.access import issue_token
from tests.support.builders import order_body
from tests.support.fakes import FakeOrderGateway


def bearer(store: InventoryStore, role: Role) -> dict[str, str]:
    token, _ = issue_token(store, TokenGrant(f"t-{role.value}", role), created_by="test")
    return {"Authorization": f"Bearer {token}"}


def test_checkout_places_an_order_on_hold_with_the_same_body(
    api: TestClient, gateway: FakeOrderGateway
) -> None:
    hold = {"reason": "payment_pending", "note": "bank transfer", "expires_in_hours": 48}
    placed = api.post("/orders", json=order_body("HA1", hold=hold))
    assert placed.status_code == 202, placed.text
    order = gateway.placed["HA1"].order
    assert order.hold is not None and order.hold.model_dump(mode="json") == hold
    # A repeat with the same body is harmless; without the hold it is another body.
    assert api.post("/orders", json=order_body("HA1", hold=hold)).status_code == 200
    assert api.post("/orders", json=order_body("HA1")).status_code == 409


@pytest.mark.parametrize(
    ("hold", "field"),
    [
        ({"reason": "inventory"}, "hold.reason"),
        ({}, "hold.reason"),
        ({"reason": "other", "note": "x" * 501}, "hold.note"),
        ({"reason": "other", "expires_in_hours": 0}, "hold.expires_in_hours"),
        ({"reason": "other", "expires_in_hours": 721}, "hold.expires_in_hours"),
        ({"reason": "other", "expires_in_hours": "24"}, "hold.expires_in_hours"),
        ({"reason": "other", "until": "tomorrow"}, "hold.until"),
    ],
)
def test_a_bad_hold_is_a_422_naming_the_field_at_checkout_and_later(
    api: TestClient, gateway: FakeOrderGateway, hold: dict[str, object], field: str
) -> None:
    at_checkout = api.post("/orders", json=order_body("HA2", hold=hold))
    later = api.post("/orders/HA2/hold", json=hold)
    assert at_checkout.status_code == 422 and later.status_code == 422
    assert field in at_checkout.json()["message"], at_checkout.json()
    assert field.removeprefix("hold.") in later.json()["message"], later.json()
    assert gateway.placed == {} and not [a for a in gateway.asked if a[0] == "hold"]


def test_hold_and_release_carry_the_caller_and_its_request_id(
    api: TestClient, gateway: FakeOrderGateway, store: InventoryStore
) -> None:
    assert api.post("/orders", json=order_body("HA3")).status_code == 202
    support = bearer(store, Role.SUPPORT)
    held = api.post(
        "/orders/HA3/hold",
        json={"reason": "fraud_review", "note": "check the card"},
        headers={**support, "Idempotency-Key": "desk-42"},
    )
    assert held.status_code == 200, held.text
    body = held.json()
    assert body["status"] == "on_hold"
    assert [(h["reason"], h["note"], h["actor"]) for h in body["holds"]] == [
        ("fraud_review", "check the card", "support:t-support")
    ]
    again = api.post("/orders/HA3/hold", json={"reason": "fraud_review"}, headers=support)
    assert again.status_code == 409 and "already on hold" in again.json()["message"]
    released = api.post(
        "/orders/HA3/release-hold",
        json={"reason": "fraud_review"},
        headers={**support, "Idempotency-Key": "desk-43"},
    )
    assert released.status_code == 200 and released.json()["holds"] == []
    none_left = api.post("/orders/HA3/release-hold", json={"reason": "fraud_review"})
    assert none_left.status_code == 409 and "no fraud_review hold" in none_left.json()["message"]
    asked = [(kind, arg) for kind, arg in gateway.asked if kind in ("hold", "release_hold")]
    assert [(kind, arg[1]) for kind, arg in asked] == [  # type: ignore[index]
        ("hold", "desk-42"),
        ("hold", None),
        ("release_hold", "desk-43"),
        ("release_hold", None),
    ]


def test_who_may_hold_and_what_is_refused(api: TestClient, store: InventoryStore) -> None:
    assert api.post("/orders", json=order_body("HA4")).status_code == 202
    checkout = bearer(store, Role.CHECKOUT)
    refused = api.post("/orders/HA4/hold", json={"reason": "other"}, headers=checkout)
    assert refused.status_code == 403
    unknown = api.post("/orders/NOPE-1/hold", json={"reason": "other"})
    assert unknown.status_code == 404
    bad_key = api.post(
        "/orders/HA4/hold", json={"reason": "other"}, headers={"Idempotency-Key": "a b"}
    )
    assert bad_key.status_code == 422 and "idempotency-key" in bad_key.text.lower()
    bad_release = api.post("/orders/HA4/release-hold", json={"reason": "other", "note": "x"})
    assert bad_release.status_code == 422 and "note" in bad_release.json()["message"]
