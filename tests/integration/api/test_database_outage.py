"""While the database is unreachable every endpoint answers 503 with ``Retry-After`` and a
JSON message; checkout and location events go on from the network last read.

The outage is real: a relay in front of the PostgreSQL server that is cut and restored the
way a server stopped abruptly and started again looks to a client (connections dropped,
new ones refused), or a URL on a port where nothing listens."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from adapters.network_cache import NetworkCache
from adapters.shopify import shopify_signature
from adapters.store import InventoryStore
from adapters.store.errors import StoreUnavailable
from domain.access import Role, TokenGrant
from domain.network_file import load_network
from services.access import CACHE_SECONDS, issue_token
from starter.app import create_app
from starter.bootstrap.dev_server import free_port
from tests.support.builders import order_body
from tests.support.data import SHOPIFY_SAMPLE_FILE, TEXTBOOK
from tests.support.fakes import FakeOrderGateway, temporal_down
from tests.support.keys import ADMIN, TEST_KEYS
from tests.support.stack import api_settings
from tests.support.tcp import Relay

pytestmark = pytest.mark.postgres


def assert_unavailable(response: Any, what: str) -> None:
    assert response.status_code == 503, (what, response.status_code, response.text)
    assert response.headers.get("Retry-After") == "5", what
    body = response.json()
    assert body["message"], what


@pytest.fixture
def relay() -> Iterator[Relay]:
    relay = Relay()
    relay.restore()
    yield relay
    relay.cut()


@pytest.fixture
def relayed_store(postgres_url: str, relay: Relay) -> Iterator[InventoryStore]:
    url = make_url(postgres_url).set(port=relay.port).render_as_string(hide_password=False)
    store = InventoryStore(url)
    store.load_network(load_network(TEXTBOOK))
    yield store
    store.close()


def test_checkout_and_location_events_go_on_while_the_database_restarts(
    relayed_store: InventoryStore, relay: Relay
) -> None:
    gateway = FakeOrderGateway(route_to="NWK-DC")  # accepts every order, every event
    settings = api_settings()
    app = create_app(settings, gateway=gateway, store=relayed_store, keys=TEST_KEYS)  # type: ignore[arg-type]
    # Tokens issued in the database itself, as a real checkout and warehouse hold them.
    shop, _ = issue_token(relayed_store, TokenGrant("shop", Role.CHECKOUT), created_by="t")
    dock, _ = issue_token(
        relayed_store, TokenGrant("dock", Role.LOCATION, "NWK-DC"), created_by="t"
    )
    as_shop = {"Authorization": f"Bearer {shop}"}
    as_dock = {"Authorization": f"Bearer {dock}"}
    with TestClient(app, headers=ADMIN) as api:
        assert api.post("/orders", json=order_body("A-1"), headers=as_shop).status_code == 202
        warm = api.post(
            "/locations/NWK-DC/fulfillments/A-1-F1/events",
            json={"type": "accepted", "event_id": "e0"},
            headers=as_dock,
        )
        assert warm.status_code == 202, warm.text  # both tokens read once, database up
        relay.cut()
        time.sleep(CACHE_SECONDS + 0.5)  # past the cache: the next reads fail

        assert api.post("/orders", json=order_body("A-2"), headers=as_shop).status_code == 202
        event = api.post(
            "/locations/NWK-DC/fulfillments/A-2-F1/events",
            json={"type": "accepted", "event_id": "e1"},
            headers=as_dock,
        )
        assert event.status_code == 202, event.text
        # A token never seen before cannot be checked now: 503, never a 401 or a 500.
        stranger = {"Authorization": "Bearer sy_" + "Q" * 43}
        unseen = api.get("/orders/A-2", headers=stranger)
        assert_unavailable(unseen, "an unseen token")
        # The network last read still says no to what it does not know.
        assert api.post("/orders", json=order_body("A-3", skus=["NOPE"])).status_code == 422
        assert api.post("/locations/NOWHERE/fulfillments/X-F1/events",
                        json={"type": "accepted"}).status_code == 404  # fmt: skip
        # What needs live stock cannot be served, and says so.
        assert_unavailable(api.get("/inventory/SKIN-SERUM"), "stock")
        assert_unavailable(api.get("/locations/NWK-DC/fulfillments"), "work queue")
        assert_unavailable(api.get("/health"), "health")

        relay.restore()
        assert api.get("/inventory/SKIN-SERUM").status_code == 200
        assert list(gateway.placed) == ["A-1", "A-2"]
        reported = [asked for kind, asked in gateway.asked if kind == "event"]
        assert [actor for _, _, _, actor in reported] == ["location:dock"] * 2  # type: ignore[misc]


def test_every_endpoint_answers_503_json_while_database_and_temporal_are_down() -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/switchyard"
    store = InventoryStore(nowhere)
    settings = api_settings(shopify_webhook_secret="shopify-secret")
    app = create_app(settings, gateway=temporal_down(), store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False, headers=ADMIN) as api:
        assert_unavailable(
            api.post("/orders", json=order_body("A-1", skus=["SKIN-SERUM"])), "POST /orders"
        )
        receipt = {"location_id": "NWK-DC", "sku": "SKIN-SERUM", "quantity": 1}
        assert_unavailable(api.post("/inventory/receipts", json=receipt), "a receipt")
        assert_unavailable(api.get("/inventory", params={"location_id": "NWK-DC"}), "a location")
        paths = app.openapi()["paths"]
        assert len(paths) > 15  # every route, read from the schema the API publishes
        for path, operations in paths.items():
            for method in operations:
                what = f"{method.upper()} {path}"
                url = re.sub(r"\{[^}]+\}", "1", path)
                if path == "/webhooks/shopify/orders-create":  # signed, as Shopify sends it
                    body = SHOPIFY_SAMPLE_FILE.read_bytes()
                    signed = {"X-Shopify-Hmac-Sha256": shopify_signature(body, "shopify-secret")}
                    response = api.request(method, url, content=body, headers=signed)
                else:
                    response = api.request(method, url, json={})
                if response.status_code == 422:  # the input is checked before anything else
                    assert response.json()["message"], what
                elif path == "/metrics":  # the dashboards' view of the outage: not a 503
                    assert response.status_code == 200, what
                    assert 'switchyard_metrics_source_up{source="database"} 0.0' in response.text
                    assert 'switchyard_metrics_source_up{source="temporal"} 0.0' in response.text
                else:
                    assert_unavailable(response, what)
    store.close()


def test_a_catalog_keeps_the_network_it_read_while_the_store_cannot_answer(
    relayed_store: InventoryStore, relay: Relay
) -> None:
    catalog = NetworkCache(relayed_store)
    cold = NetworkCache(relayed_store)
    network = catalog.network()
    relay.cut()
    assert catalog.network() is network
    assert catalog.location("NWK-DC") is not None and "SKIN-SERUM" in catalog.skus()
    with pytest.raises(StoreUnavailable):
        cold.network()  # nothing read yet: nothing to serve
    relay.restore()
    relayed_store.update_location("NWK-DC", active=False)
    assert catalog.location("NWK-DC").active is False  # type: ignore[union-attr]
