"""The store's SQLite file, its WAL and shared-memory files, and a folder it creates are
its owner's only (0600, 0700), whatever the umask (issue 21: the file was 0644)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.store import InventoryStore
from tests.support.builders import small_network


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_new_store_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "store.db"
    store = InventoryStore(f"sqlite:///{path}")
    try:
        store.migrate()
        store.load_network(small_network())
        files = sorted(p.name for p in path.parent.iterdir())
        assert files == ["store.db", "store.db-shm", "store.db-wal"]  # WAL, open
        for name in files:
            assert mode(path.parent / name) == 0o600, name
    finally:
        store.close()
    assert mode(path.parent) == 0o700


def test_a_store_an_older_version_left_readable_is_made_private(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    path = folder / "store.db"
    store = InventoryStore(f"sqlite:///{path}")
    store.migrate()
    store.close()
    for each in folder.glob("store.db*"):
        each.chmod(0o644)

    InventoryStore(f"sqlite:///{path}").close()

    for each in folder.glob("store.db*"):
        assert mode(each) == 0o600, each.name
    assert mode(folder) == 0o755  # a folder it did not create keeps its mode (/tmp, say)
