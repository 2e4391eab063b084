"""The Alembic revisions and the SQLModel tables describe the same schema."""

from __future__ import annotations

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
