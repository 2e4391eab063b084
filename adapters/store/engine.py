"""One SQLAlchemy engine per store, tuned for the two databases Switchyard runs on.

SQLite: WAL (readers never block the writer), ``synchronous=NORMAL`` (durable at each
checkpoint, fast commits), a busy timeout, and ``BEGIN IMMEDIATE`` for write
transactions: the write lock is taken when the transaction starts, so concurrent writers
queue on the busy timeout instead of failing with "database is locked" when a deferred
read transaction tries to upgrade. Read-only work uses a plain deferred ``BEGIN``.

PostgreSQL: the default READ COMMITTED; correctness comes from row locks taken by
conditional ``UPDATE`` and ``SELECT ... FOR UPDATE`` (see docs/inventory.md).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool

from adapters.private_files import private_file

BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "switchyard_read_only"
"""Execution option: this connection's transaction only reads (SQLite: deferred BEGIN)."""


def create_store_engine(database_url: str, *, echo: bool = False) -> Engine:
    """The engine for ``database_url``; a SQLite file (and its folder, if missing) is
    created owner-only (``adapters.private_files``)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    kwargs: dict[str, Any] = {
        "echo": echo,
        "connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    }
    if url.database in (None, "", ":memory:"):
        # One shared connection, or every checkout would see its own empty database.
        kwargs["poolclass"] = StaticPool
    else:
        private_file(Path(url.database).expanduser())  # before SQLite creates it 0644
        kwargs.update(pool_size=10, max_overflow=20)
    engine = sa.create_engine(url, **kwargs)
    _install_sqlite_hooks(engine)
    return engine


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop pysqlite from issuing its own deferred BEGIN; we issue ours in "begin".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted and rewritten rows are zeroed, not left in free pages: what
            # retention deletes, and an erased customer's key (``customer_keys``), are
            # gone from the file, not just unlinked.
            cursor.execute("PRAGMA secure_delete=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (a persistent setting, so usually already done).

    The switch needs the database to itself, and SQLite answers "database is locked" at
    once, without the busy handler, while another connection is using it: that happens
    when several processes open a brand-new file together. Wait for them briefly.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = str(cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
            continue
        if mode not in ("wal", "memory"):  # an in-memory database has no WAL, nor needs one
            raise sqlite3.OperationalError(f"cannot switch to WAL: journal_mode is {mode!r}")
        return
