"""The HTTP API in process (FastAPI's TestClient) over a real store on SQLite and PostgreSQL,
with a fake gateway to Temporal that records what the API asked of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from starter.app import create_app
from tests.support.data import TEXTBOOK
from tests.support.fakes import FakeOrderGateway
from tests.support.keys import ADMIN, TEST_KEYS
from tests.support.stack import api_settings, store_holding


@pytest.fixture
def store(database_url: str) -> Iterator[InventoryStore]:
    """A store holding the textbook network (tests/e2e/network.yaml)."""
    with store_holding(TEXTBOOK, database_url, migrated=True) as store:
        yield store


@pytest.fixture
def gateway() -> FakeOrderGateway:
    return FakeOrderGateway()


@pytest.fixture
def api(store: InventoryStore, gateway: FakeOrderGateway) -> Iterator[TestClient]:
    settings = api_settings()
    app = create_app(settings, gateway=gateway, store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app, headers=ADMIN) as client:
        yield client
