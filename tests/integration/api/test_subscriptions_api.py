"""Event subscriptions through the API: operations registers, lists and removes them;
a secret is never shown again; a URL the worker may not call is refused at once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from domain.access import Role, TokenGrant
from services.access import issue_token

SUBSCRIBER = {
    "url": "https://erp.example.com/switchyard-events",
    "secret": "whsec_0123456789abcdef",
    "event_types": ["order.shipped", "order.received", "order.shipped"],
}


def test_operations_registers_lists_and_removes_a_subscription(api: TestClient) -> None:
    created = api.post("/subscriptions", json=SUBSCRIBER)
    assert created.status_code == 201, created.text
    subscription = created.json()
    assert subscription["id"].startswith("sub_")
    assert subscription["event_types"] == ["order.received", "order.shipped"]  # once each
    assert "secret" not in subscription and "whsec" not in created.text
    assert subscription["created_by"] == "admin:bootstrap-admin"

    listed = api.get("/subscriptions").json()
    assert [s["id"] for s in listed] == [subscription["id"]]
    assert "whsec" not in api.get("/subscriptions").text
    assert api.get(f"/subscriptions/{subscription['id']}/deliveries").json() == []

    assert api.delete(f"/subscriptions/{subscription['id']}").status_code == 204
    assert api.get("/subscriptions").json() == []
    assert api.delete(f"/subscriptions/{subscription['id']}").status_code == 404
    # Its deliveries stay readable after it is gone.
    assert api.get(f"/subscriptions/{subscription['id']}/deliveries").status_code == 200
    assert api.get("/subscriptions/sub_unknown/deliveries").status_code == 404


def test_a_url_inside_the_network_or_a_bad_body_is_refused(api: TestClient) -> None:
    inside = api.post("/subscriptions", json={**SUBSCRIBER, "url": "http://127.0.0.1:9/hook"})
    assert inside.status_code == 422
    assert inside.json()["detail"][0]["type"] == "unsafe_webhook_url"
    for bad in (
        {**SUBSCRIBER, "event_types": ["order.teleported"]},
        {**SUBSCRIBER, "event_types": []},
        {**SUBSCRIBER, "secret": "short"},
        {**SUBSCRIBER, "extra": 1},
    ):
        assert api.post("/subscriptions", json=bad).status_code == 422, bad
    assert api.get("/subscriptions").json() == []


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",
        "64:ff9b::a9fe:a9fe",
        "::ffff:10.0.0.7",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
    ],
)
def test_an_ipv6_form_of_an_inside_address_is_refused(api: TestClient, address: str) -> None:
    refused = api.post("/subscriptions", json={**SUBSCRIBER, "url": f"http://[{address}]/hook"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["type"] == "unsafe_webhook_url"
    assert refused.json()["message"].startswith("url: ")
    assert api.get("/subscriptions").json() == []


def test_only_operations_and_admin_manage_subscriptions(
    api: TestClient, store: InventoryStore
) -> None:
    for role, expected in (("ops", 201), ("support", 403), ("checkout", 403), ("metrics", 403)):
        token, _ = issue_token(store, TokenGrant(f"s-{role}", Role(role)), created_by="test")
        answer = api.post(
            "/subscriptions", json=SUBSCRIBER, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == expected, (role, answer.text)


def test_the_event_types_subscribed_are_recorded_on_each_order(api: TestClient) -> None:
    types = api.app.state.subscribed_types  # type: ignore[attr-defined]
    assert types.current() == []
    api.post("/subscriptions", json=SUBSCRIBER)
    assert types.current() == ["order.received", "order.shipped"]  # at once in this process
