"""The HTTP API in process (FastAPI's TestClient) over a real store on SQLite and PostgreSQL,
with a fake gateway to Temporal that records what the API asked of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from domain.network_file import load_network
from starter.api import create_app
from starter.settings import Settings

# The store tests' database fixtures: a fresh SQLite file, a PostgreSQL database per module.
from tests.integration.store.conftest import database_url, postgres_url  # noqa: F401
from tests.support.keys import TEST_KEYS
from tests.tokens import ADMIN, ADMIN_TOKEN

TEXTBOOK = Path(__file__).parents[2] / "e2e" / "network.yaml"


def api_settings(**overrides: object) -> Settings:
    """Settings for an API under FastAPI's TestClient, whose requests name the host
    ``testserver``: allowed here, never by default."""
    given: dict[str, object] = {"allowed_hosts": ["testserver"], "admin_token": ADMIN_TOKEN}
    return Settings(**{**given, **overrides})  # type: ignore[arg-type]


class FakeGateway:
    """Stands in for ``OrderGateway``: records the backordered orders it was asked to wake."""

    def __init__(self) -> None:
        self.woken: list[tuple[list[str], list[str]]] = []
        self.fail = False

    async def stock_arrived(self, order_ids: list[str], skus: list[str]) -> int:
        if self.fail:
            raise RuntimeError("Temporal is unreachable")
        self.woken.append((list(order_ids), list(skus)))
        return len(order_ids)


@pytest.fixture
def store(database_url: str) -> Iterator[InventoryStore]:  # noqa: F811
    """A store holding the textbook network (tests/e2e/network.yaml)."""
    store = InventoryStore(database_url)
    assert store.load_network(load_network(TEXTBOOK))
    yield store
    store.close()


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def api(store: InventoryStore, gateway: FakeGateway) -> Iterator[TestClient]:
    settings = api_settings()
    app = create_app(settings, gateway=gateway, store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app, headers=ADMIN) as client:
        yield client
