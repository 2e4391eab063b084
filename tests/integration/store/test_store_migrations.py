"""The Alembic revisions and the SQLModel tables describe the same schema."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from adapters.store import InventoryStore
from adapters.store.tables import metadata


def test_migrations_match_the_tables(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_migrate_is_safe_to_repeat(database_url: str) -> None:
    store = InventoryStore(database_url)
    try:
        store.migrate()
        store.migrate()
    finally:
        store.close()


def test_processes_starting_together_migrate_once(unmigrated_url: str) -> None:
    """The API and the workers all call migrate() at start, possibly at the same moment."""
    stores = [InventoryStore(unmigrated_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda store: store.migrate(), stores))
        assert stores[0].network_version() == 0
    finally:
        for store in stores:
            store.close()
