"""Running the parts together: the embedded Temporal dev server, the worker and the API.

``dom up`` uses ``run_stack``; the end-to-end tests and the throughput benchmark use
``EmbeddedTemporal`` and ``run_stack`` too, so what they measure is what users run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from temporalio.client import Client

from adapters.store import InventoryStore
from domain.models import Network
from domain.network_file import demo_network, load_network
from starter.settings import Settings
from starter.temporal import connect, ensure_search_attributes, temporal_cli_path
from worker import WorkerParts, build_worker

log = logging.getLogger(__name__)

UI_PORT_OFFSET = 1000  # the dev server's Web UI listens at its port + 1000


def free_port(*, with_ui: bool = False) -> int:
    """A free local port P (and P + UI_PORT_OFFSET free too when ``with_ui``), for tests
    and benchmarks that start a stack of their own."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        ui_port = port + UI_PORT_OFFSET
        if not with_ui or (ui_port < 65535 and _bindable(ui_port)):
            return port
    raise RuntimeError("no free port")


def _bindable(port: int, host: str = "127.0.0.1") -> bool:
    """Nothing holds ``port``: no listener, and no connection using it as its local port
    (P + 1000 lies in the ephemeral range, so an outgoing connection may hold it, which
    connecting to it would not reveal)."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class EmbeddedTemporal:
    """``temporal server start-dev`` persisted under the data dir, with SQLite WAL pragmas."""

    def __init__(self, data_dir: Path, port: int, *, ui: bool = True, log_file: Path | None = None):
        self.data_dir = data_dir
        self.port = port
        self.ui_port = port + UI_PORT_OFFSET
        self.ui = ui
        self.log_file = log_file or data_dir / "temporal.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    def command(self) -> list[str]:
        cmd = [
            str(temporal_cli_path()),
            "server",
            "start-dev",
            "--ip", "127.0.0.1",
            "--port", str(self.port),
            "--db-filename", str(self.data_dir / "temporal.db"),
            "--sqlite-pragma", "journal_mode=wal",
            "--sqlite-pragma", "synchronous=normal",
            "--log-level", "warn",
            "--namespace", "default",
        ]  # fmt: skip
        if self.ui:
            cmd += ["--ui-port", str(self.ui_port)]
        else:
            cmd += ["--headless"]
        return cmd

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if _port_open(self.port):
            raise RuntimeError(
                f"port {self.port} is already in use: stop what runs there, pass --temporal-port, "
                f"or point DOM_TEMPORAL_ADDRESS at an existing Temporal server"
            )
        with open(self.log_file, "ab") as log_out:
            self._process = subprocess.Popen(
                self.command(), stdout=log_out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while not _port_open(self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"the Temporal dev server exited; see {self.log_file}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Temporal dev server did not start; see {self.log_file}")
            time.sleep(0.1)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


class _Server(uvicorn.Server):
    """Leaves signals to the caller, which stops the worker and Temporal in order too."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


async def connect_when_ready(address: str, namespace: str, wait_seconds: float = 60.0) -> Client:
    """Connect, retrying while the server is still starting up."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            client = await connect(address, namespace)
            await client.service_client.check_health()
            return client
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def prepare_store(settings: Settings, network_file: Path | None) -> tuple[InventoryStore, bool]:
    """Migrate the database and load the network into an empty store; (store, loaded)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = InventoryStore(settings.resolved_database_url)
    store.migrate()
    network: Network = load_network(network_file) if network_file else demo_network()
    return store, store.load_network(network, actor="system:dom-up")


@dataclass
class StackInfo:
    api_url: str
    docs_url: str
    temporal_address: str
    ui_url: str | None


async def run_stack(
    settings: Settings,
    store: InventoryStore,
    client: Client,
    *,
    on_ready: Callable[[StackInfo], None] | None = None,
    ui_url: str | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the worker and the API in this process until Ctrl-C (or ``stop`` is set)."""
    from adapters.order_gateway import OrderGateway
    from starter.api import create_app

    await ensure_search_attributes(client)
    parts = WorkerParts(client, settings.task_queue)
    worker = build_worker(
        client,
        store,
        settings.task_queue,
        parts,
        max_concurrent_activities=settings.max_concurrent_activities,
    )
    app = create_app(settings, gateway=OrderGateway(client, settings.task_queue), store=store)
    server = _Server(
        uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port,
            log_level="warning",
            lifespan="on",
        )
    )
    # Everything loaded so far (ZIP index, routing caches) lives for the whole process:
    # keep it out of the collector's full passes, which otherwise land inside decisions.
    gc.freeze()
    worker_task = asyncio.create_task(worker.run())
    server_task = asyncio.create_task(server.serve())

    async def announce() -> None:
        while not server.started:
            if server_task.done():
                return
            await asyncio.sleep(0.05)
        if on_ready:
            on_ready(
                StackInfo(
                    api_url=settings.api_url,
                    docs_url=f"{settings.api_url}/docs",
                    temporal_address=settings.resolved_temporal_address,
                    ui_url=ui_url,
                )
            )

    announcer = asyncio.create_task(announce())
    waiters = [server_task, worker_task]
    if stop is not None:
        waiters.append(asyncio.create_task(stop.wait()))
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        announcer.cancel()
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server_task, timeout=10)
        await worker.shutdown()
        await parts.aclose()
        for task in (server_task, worker_task):
            if task.done() and not task.cancelled() and task.exception():
                raise task.exception()  # type: ignore[misc]
