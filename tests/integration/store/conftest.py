"""Fixtures for the inventory store's integration tests: the same tests on both databases.

SQLite: a fresh file per test. PostgreSQL: a fresh database per test module
(``switchyard_test_<random>``, dropped afterwards), emptied before each test. Point
``DOM_TEST_POSTGRES_URL`` at another server's maintenance database to use it instead of
the local one; deselect those tests with ``-m "not postgres"``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from adapters.store import InventoryStore
from adapters.store.tables import metadata
from domain.models import Location, LocationKind, Network, Sku

ADMIN_URL = os.environ.get(
    "DOM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin_conninfo() -> str:
    return make_url(ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A new, migrated PostgreSQL database for this test module; dropped at its end."""
    name = f"switchyard_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_admin_conninfo(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {ADMIN_URL} ({exc}); start it or deselect "
            'these tests with -m "not postgres"'
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        migrated = InventoryStore(url)
        migrated.migrate()
        migrated.close()
        try:
            yield url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        tables = ", ".join(t.name for t in metadata.sorted_tables)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated store's URL on each database."""
    if request.param == "postgresql":
        postgres: str = request.getfixturevalue("postgres_url")
        _empty_postgres(postgres)
        return postgres
    url = f"sqlite:///{tmp_path / 'store.db'}"
    migrated = InventoryStore(url)
    migrated.migrate()
    migrated.close()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new database with no schema at all, on each database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"switchyard_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


def small_network(*, widgets: int = 10, gadgets: int = 5) -> Network:
    """Two SKUs at two warehouses: enough to exercise every rule, cheap to build."""
    return Network(
        skus=[Sku(sku="WIDGET", weight_lb=1.0), Sku(sku="GADGET", weight_lb=2.5, name="Gadget")],
        locations=[
            Location(
                id="EAST",
                kind=LocationKind.WAREHOUSE,
                lat=40.7,
                lon=-74.1,
                stock={"WIDGET": widgets, "GADGET": gadgets},
            ),
            Location(
                id="WEST",
                kind=LocationKind.STORE,
                lat=34.0,
                lon=-118.2,
                stock={"WIDGET": widgets},
                pickup=True,
                daily_capacity=40,
            ),
        ],
    )
