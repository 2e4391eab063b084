"""SQLite specifics: writers queue for the write lock, readers never wait for it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from adapters.store import InventoryStore
from adapters.store.engine import BUSY_TIMEOUT_MS, create_store_engine
from tests.support.builders import small_network


def test_a_writer_waits_for_the_lock_and_a_reader_does_not(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = InventoryStore(f"sqlite:///{path}")
    store.migrate()
    store.load_network(small_network(widgets=10))
    other_process = sqlite3.connect(path, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        started = time.monotonic()
        assert store.balance("EAST", "WIDGET").on_hand == 10  # WAL: reads go on
        assert time.monotonic() - started < 1

        writer = threading.Thread(
            target=store.receive, args=("EAST", "WIDGET", 5), kwargs={"reference": "PO-1"}
        )
        writer.start()
        writer.join(timeout=0.5)
        assert writer.is_alive()  # queued on busy_timeout, not failed with "locked"
    finally:
        other_process.execute("COMMIT")
        other_process.close()
    writer.join(timeout=10)
    assert not writer.is_alive()
    assert store.balance("EAST", "WIDGET").on_hand == 15
    assert store.check_ledger() == []
    store.close()


def test_connections_use_wal_normal_sync_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'nested' / 'store.db'}")  # folder made
    try:
        with engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 1  # NORMAL
            assert pragma("busy_timeout") == BUSY_TIMEOUT_MS
            assert pragma("foreign_keys") == 1
    finally:
        engine.dispose()
