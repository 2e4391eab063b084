"""Alembic environment for the inventory store.

At run time ``adapters.store.migrate`` hands over an open connection in
``config.attributes["connection"]``. For developers, ``alembic -c adapters/store/alembic.ini
revision --autogenerate -m ...`` connects to ``DOM_DATABASE_URL`` instead.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from adapters.store.engine import create_store_engine
from adapters.store.tables import metadata

DEFAULT_URL = "sqlite:///./.dom/switchyard.db"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_store_engine(os.environ.get("DOM_DATABASE_URL", DEFAULT_URL))
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; connect to a database")
run_migrations_online()
