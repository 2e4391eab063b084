"""Starting what the tests talk to: the real stack (``dom up`` in a subprocess, spoken to
over HTTP only), the API in process, and a database of their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from adapters.store import InventoryStore
from adapters.store.tables import metadata
from domain.models import Network
from domain.network_file import load_network
from services.access import TOKENS_FILE, read_tokens_file
from starter.bootstrap.dev_server import free_port
from starter.bootstrap.settings import Settings
from tests.support.keys import ADMIN_TOKEN

# The real stack ----------------------------------------------------------------------


@dataclass
class Stack:
    api_url: str
    data_dir: Path
    log: Path
    ui_url: str = ""

    def token(self, role: str = "admin") -> str:
        """A development token ``dom up`` wrote to the data dir's tokens.txt, by role (or
        ``location:<id>``)."""
        return read_tokens_file(self.data_dir / TOKENS_FILE)[role]

    def client(self, role: str = "admin") -> httpx.Client:
        """An HTTP client that calls as ``role`` (admin unless told otherwise)."""
        headers = {"Authorization": f"Bearer {self.token(role)}"}
        return httpx.Client(base_url=self.api_url, timeout=30, headers=headers)


def start_stack(
    tmp: Path,
    network: Path | None,
    extra_env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
) -> tuple[subprocess.Popen[bytes], Stack]:
    """``dom up`` on free ports (``network`` None: the built-in demo network)."""
    temporal_port = free_port(with_ui=True)
    api_port = free_port(besides=[temporal_port])
    log = tmp / "dom-up.log"
    env = {**os.environ, **(extra_env or {})}
    process = subprocess.Popen(
        [
            sys.executable, "-m", "starter.cli", "up",
            *(["--network", str(network)] if network else []),
            "--data-dir", str(tmp / "data"),
            "--api-port", str(api_port),
            "--temporal-port", str(temporal_port),
            *(extra_args or []),
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
    )  # fmt: skip
    stack = Stack(
        api_url=f"http://127.0.0.1:{api_port}",
        data_dir=tmp / "data",
        log=log,
        ui_url=f"http://127.0.0.1:{temporal_port + 1000}",
    )
    wait_healthy(process, stack.api_url, log)
    return process, stack


def wait_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> dict[str, str]:
    """Wait (90 s at most) until the API at ``url`` answers ``GET /health`` 200; its body.
    Fails with the process's log if it exits first or never gets there."""
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise AssertionError(f"exited early ({process.returncode}):\n{log.read_text()}")
        try:
            answer = httpx.get(f"{url}/health", timeout=2)
            if answer.status_code == 200:
                return answer.json()
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"never healthy at {url}:\n{log.read_text()}")
        time.sleep(0.25)


def stop_stack(process: subprocess.Popen[bytes], stack: Stack) -> None:
    """Ctrl-C, as a person stops ``dom up``; it must stop within 30 s."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"dom up did not stop on Ctrl-C:\n{stack.log.read_text()}") from None


# The API in process ------------------------------------------------------------------


def api_settings(**overrides: object) -> Settings:
    """Settings for an API under FastAPI's TestClient, whose requests name the host
    ``testserver``: allowed here, never by default."""
    given: dict[str, object] = {"allowed_hosts": ["testserver"], "admin_token": ADMIN_TOKEN}
    return Settings(**{**given, **overrides})  # type: ignore[arg-type]


# Stores and databases ----------------------------------------------------------------


@contextmanager
def store_holding(
    network: Network | Path, url: str, *, migrated: bool = False
) -> Iterator[InventoryStore]:
    """A store at ``url`` holding ``network`` (built, or a network file's), its schema made
    first unless ``migrated`` already; closed afterwards."""
    store = InventoryStore(url)
    if not migrated:
        store.migrate()
    assert store.load_network(network if isinstance(network, Network) else load_network(network))
    try:
        yield store
    finally:
        store.close()


# Point DOM_TEST_POSTGRES_URL at another server's maintenance database to use it instead.
POSTGRES_ADMIN_URL = os.environ.get(
    "DOM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin_conninfo() -> str:
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@contextmanager
def postgres_database(*, migrated: bool) -> Iterator[str]:
    """A new PostgreSQL database (``switchyard_test_<random>``), its schema made if
    ``migrated``; its URL, dropped afterwards. Raises ``psycopg.OperationalError`` if
    the server is not reachable."""
    name = f"switchyard_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        try:
            if migrated:
                migrate(url)
            yield url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str) -> str:
    """Make the store's schema at ``url``; the URL."""
    store = InventoryStore(url)
    store.migrate()
    store.close()
    return url


def empty_postgres(url: str) -> None:
    """Empty every table of the store at ``url``, keeping the schema."""
    engine = sa.create_engine(url)
    try:
        tables = ", ".join(t.name for t in metadata.sorted_tables)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        engine.dispose()
