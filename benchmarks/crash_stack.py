"""The crash test's stack, in parts, as production runs it: processes it may kill.

The Temporal dev server on a persisted SQLite file, ``dom worker`` and ``dom api`` (one
process each, each ``Restartable``), and the store on SQLite or on a fresh PostgreSQL
database, whose server ``postgres_cluster`` stops abruptly and starts again.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from harness import STACK_ENV, Restartable, http_ok
from http_phase import DOM, load_network_file, worker_polls

from starter.bootstrap.dev_server import EmbeddedTemporal, free_port
from starter.bootstrap.keys import fresh_environment

TASK_QUEUE = "switchyard-crash"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


class Stack:
    """Temporal, worker and API as processes this script may kill; the store's database."""

    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.data_dir = data_dir
        self.api_url = f"http://127.0.0.1:{free_port()}"
        temporal = EmbeddedTemporal(data_dir / "temporal", free_port(), ui=False)
        temporal.data_dir.mkdir(parents=True, exist_ok=True)
        self.temporal_address = temporal.address
        self.env = {
            **os.environ,
            **fresh_environment(),  # dom worker and dom api share these, as in production
            "DOM_DATA_DIR": str(data_dir),
            "DOM_DATABASE_URL": database_url,
            "DOM_TEMPORAL_ADDRESS": temporal.address,
            "DOM_TASK_QUEUE": TASK_QUEUE,
            **STACK_ENV,
            # The webhook locations are played on loopback by this script: allowed here only.
            "DOM_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        }
        logs = data_dir / "logs"
        logs.mkdir(exist_ok=True)
        port = int(self.api_url.rsplit(":", 1)[1])
        self.temporal = Restartable(
            "temporal", temporal.command(), logs, ready=lambda _: _listens(temporal.port),
            env=self.env,
        )  # fmt: skip
        self.worker = Restartable(
            "worker", [*DOM, "worker"], logs, ready=worker_polls, env=self.env
        )
        self.api = Restartable(
            "api", [*DOM, "api", "--api-port", str(port)], logs,
            ready=lambda _: http_ok(f"{self.api_url}/health"), env=self.env,
        )  # fmt: skip

    def start(self, network_file: Path) -> None:
        self.temporal.start()
        load_network_file(network_file, self.env)
        self.worker.start()
        self.api.start()

    def stop(self) -> None:
        for part in (self.api, self.worker, self.temporal):
            with contextlib.suppress(Exception):
                part.stop()


def _listens(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def postgres_cluster(action: str) -> None:
    """Stop the local PostgreSQL server abruptly (``stop``: immediate mode, as a crash
    looks to clients) or start it again."""
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    if action == "stop":
        command += ["-m", "immediate"]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def fresh_database(kind: str, data_dir: Path, keep: bool) -> Iterator[str]:
    """The store's URL: a SQLite file in ``data_dir``, or a new PostgreSQL database
    (dropped afterwards unless ``keep``)."""
    if kind == "sqlite":
        yield f"sqlite:///{data_dir / 'switchyard.db'}"
        return
    import psycopg

    name = f"switchyard_crash_{int(time.time())}_{secrets.token_hex(3)}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        if not keep:
            with (
                contextlib.suppress(Exception),
                psycopg.connect(admin, autocommit=True) as conn,
            ):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
