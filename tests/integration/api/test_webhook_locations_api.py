"""Webhook locations through the API: URLs judged when set, secrets never shown."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from starter.bootstrap.settings import Settings

HOOK = {"type": "webhook", "url": "https://93.184.216.34/hook", "secret": "s3cret-value"}


def new_location(adapter: dict[str, object]) -> dict[str, object]:
    return {"id": "DEN-3PL", "kind": "3pl", "postal_code": "80202", "adapter": adapter}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[::1]/hook",
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[64:ff9b::a00:7]/hook",  # NAT64 of 10.0.0.7
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://[2600::5efe:a9fe:a9fe]/",  # ISATAP of the metadata service
    ],
)
def test_a_webhook_inside_the_network_is_refused_naming_the_field(
    api: TestClient, url: str
) -> None:
    refused = api.post("/locations", json=new_location({**HOOK, "url": url}))
    assert refused.status_code == 422
    body = refused.json()
    assert body["message"].startswith("adapter.url: ")
    assert "DOM_WEBHOOK_ALLOWED_HOSTS" in body["message"]
    assert body["detail"][0]["type"] == "unsafe_webhook_url"
    assert api.get("/locations/DEN-3PL").status_code == 404

    patched = api.patch("/locations/CHI-STORE", json={"adapter": {**HOOK, "url": url}})
    assert patched.status_code == 422 and patched.json()["message"].startswith("adapter.url: ")
    assert api.get("/locations/CHI-STORE").json()["adapter"]["type"] != "webhook"


def test_an_allowance_lets_an_internal_webhook_in(api: TestClient) -> None:
    api.app.state.settings = Settings(webhook_allowed_hosts=["10.0.0.0/8"])  # type: ignore[attr-defined]
    added = api.post("/locations", json=new_location({**HOOK, "url": "http://10.0.0.7/hook"}))
    assert added.status_code == 201, added.text


def test_production_wants_https_and_a_secret(api: TestClient) -> None:
    api.app.state.settings = Settings(env="production")  # type: ignore[attr-defined]
    plain = api.post("/locations", json=new_location({**HOOK, "url": "http://93.184.216.34/"}))
    assert plain.status_code == 422 and "must use https" in plain.json()["message"]
    unsigned = api.post("/locations", json=new_location({**HOOK, "secret": None}))
    assert unsigned.status_code == 422
    assert unsigned.json()["message"].startswith("adapter.secret: ")
    assert api.post("/locations", json=new_location(HOOK)).status_code == 201


def test_no_read_shows_a_webhook_secret(api: TestClient, store: InventoryStore) -> None:
    created = api.post("/locations", json=new_location({**HOOK, "secret": "s3cret-value"}))
    assert created.status_code == 201 and "s3cret-value" not in created.text
    for path in (
        "/locations",
        "/locations/DEN-3PL",
        "/locations?kind=3pl",
        "/inventory?location_id=DEN-3PL",
        "/inventory/SKIN-SERUM",
        "/routing/rules",
    ):
        answer = api.get(path)
        assert answer.status_code == 200, path
        assert "s3cret-value" not in answer.text, path
    patched = api.patch("/locations/DEN-3PL", json={"name": "Denver 3PL"})
    assert patched.status_code == 200 and "s3cret-value" not in patched.text
    stored = next(loc for loc in store.network().locations if loc.id == "DEN-3PL")
    assert "s3cret-value" not in repr(stored)  # nor in a log line that prints it
    assert api.get("/locations/DEN-3PL").json()["adapter"]["secret"] == "********"
    assert "s3cret-value" not in api.get("/openapi.json").text


def test_a_patch_that_sends_the_mask_back_keeps_the_secret(
    api: TestClient, store: InventoryStore
) -> None:
    """A client that reads a location, edits its URL and PATCHes the adapter back must not
    turn the secret into eight asterisks."""
    assert api.post("/locations", json=new_location(HOOK)).status_code == 201
    adapter = api.get("/locations/DEN-3PL").json()["adapter"]
    moved = {**adapter, "url": "https://93.184.216.35/hook"}
    changed = api.patch("/locations/DEN-3PL", json={"adapter": moved})
    assert changed.status_code == 200, changed.text
    assert changed.json()["adapter"]["secret"] == "********"
    stored = next(loc for loc in store.network().locations if loc.id == "DEN-3PL")
    assert stored.adapter.url == "https://93.184.216.35/hook"  # type: ignore[union-attr]
    assert stored.adapter.secret == "s3cret-value"  # type: ignore[union-attr]
