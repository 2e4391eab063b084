"""Fixtures for the inventory store's integration tests: the same tests on both databases
(``database_url`` and ``postgres_url`` are tests/conftest.py's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.store import InventoryStore
from tests.support.builders import small_network
from tests.support.stack import postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new database with no schema at all, on each database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    with postgres_database(migrated=False) as url:
        yield url


@pytest.fixture
def empty_store(database_url: str) -> Iterator[InventoryStore]:
    store = InventoryStore(database_url)
    yield store
    store.close()


@pytest.fixture
def store(empty_store: InventoryStore) -> InventoryStore:
    """A store holding ``small_network()``."""
    assert empty_store.load_network(small_network())
    return empty_store
