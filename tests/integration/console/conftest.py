"""The console in process (FastAPI's TestClient) over a real SQLite store holding the
textbook network, with a fake gateway that holds a few orders as the workflows would
show them; a signed-in client per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.store import InventoryStore, PackageReservation
from domain.access import Role, TokenGrant
from services.access import issue_token
from starter.app import create_app
from tests.support.builders import pickup_order_view, shipping_order_view
from tests.support.data import TEXTBOOK
from tests.support.fakes import FakeOrderGateway
from tests.support.http import sign_in
from tests.support.keys import TEST_KEYS, issue_role_tokens
from tests.support.stack import api_settings, store_holding

ROLES = ["checkout", "location", "support", "ops", "admin"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[InventoryStore]:
    with store_holding(TEXTBOOK, f"sqlite:///{tmp_path / 'store.db'}") as store:
        yield store


@pytest.fixture
def tokens(store: InventoryStore) -> dict[str, str]:
    """A live token per role; the location role's is bound to SLC-3PL, and a CHI-STORE one."""
    found = issue_role_tokens(store, ROLES, prefix="test", location="SLC-3PL")
    found["location:CHI-STORE"], _ = issue_token(
        store, TokenGrant("test-chicago", Role.LOCATION, "CHI-STORE"), created_by="system:test"
    )
    return found


@pytest.fixture
def gateway(store: InventoryStore) -> FakeOrderGateway:
    """Two open orders, their units reserved where their packages are (the work queues)."""
    orders = FakeOrderGateway()
    for view in (shipping_order_view(), pickup_order_view()):
        orders.add(view)
        packages = [
            PackageReservation(
                fulfillment_id=f.fulfillment_id,
                location_id=f.location_id,
                lines={line.sku: line.quantity for line in f.lines},
            )
            for f in view.fulfillments
        ]
        store.reserve_plan(view.order_id, f"{view.order_id}:A1", packages, "{}")
    return orders


@pytest.fixture
def app_client(store: InventoryStore, gateway: FakeOrderGateway) -> Iterator[TestClient]:
    """The app, not signed in (no Authorization header either)."""
    app = create_app(api_settings(), gateway=gateway, store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def signed_in(app_client: TestClient, tokens: dict[str, str]) -> Callable[[str], TestClient]:
    """``signed_in("ops")``: the client, signed in with that role's token."""
    return lambda role: sign_in(app_client, tokens[role])
