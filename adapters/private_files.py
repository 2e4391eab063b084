"""Files only their owner may read: the databases Switchyard creates hold orders, stock
and (sealed) customer data, so they are mode 0600 in a 0700 folder whatever the umask.

SQLite gives a database's ``-wal``, ``-shm`` and ``-journal`` files the mode of the main
file, so making the main file private before SQLite first opens it covers them all;
``private_file`` also repairs the modes of files an older version left readable.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
CREATE_MASK = 0o077
"""A umask for processes that create our files themselves (the Temporal dev server)."""

SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_folder(path: Path) -> Path:
    """``path`` (and its missing parents) created, and ``path`` itself made 0700: only for
    a folder that is Switchyard's own (the data dir), never a shared one such as /tmp."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    path.chmod(FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """``path`` created empty if missing (an empty file is a valid SQLite database), and
    it and its SQLite companions made 0600. Never truncates."""
    if not path.parent.exists():
        path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    private_if_present(path)
    return path


def private_if_present(path: Path) -> None:
    """Make ``path`` and its SQLite companions 0600, those that exist."""
    for each in (path, *(path.with_name(path.name + end) for end in SQLITE_COMPANIONS)):
        with contextlib.suppress(FileNotFoundError):
            each.chmod(FILE_MODE)
