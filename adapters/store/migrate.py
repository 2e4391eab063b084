"""Running the Alembic migrations from code: no alembic.ini needed at run time."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant will do; it only has to be the same for every process migrating this store.
_PG_MIGRATION_LOCK = 0x5357_4954_4348


def alembic_config() -> Config:
    """A config pointing at the packaged migrations (also used by tests and autogenerate)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """``alembic upgrade head`` on ``engine``, one process at a time.

    Several processes (the API, the workers) call this at start: PostgreSQL serialises them
    with a transaction-scoped advisory lock, SQLite with the write lock ``BEGIN IMMEDIATE``
    takes; the later ones find the schema at head and do nothing.
    """
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
