"""The stack of ``dom up``: the worker and the API in one process, on one event loop.

The worker comes from the bootstrap (``starter.bootstrap.worker.assembled_worker``), as
``dom worker`` builds it; the API from its app factory, sharing the worker's client and
store. The end-to-end tests start it through ``dom up``, so what they run is what users run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from temporalio.client import Client

from adapters.private_files import private_folder
from adapters.store import InventoryStore
from starter.app import create_app
from starter.bootstrap import open_store
from starter.bootstrap.http import BoundedHeadProtocol
from starter.bootstrap.keys import Keys, personal_vault
from starter.bootstrap.settings import Settings
from starter.bootstrap.worker import assembled_worker
from starter.cli.network import read_network_file
from starter.gateway.orders import OrderGateway


class _Server(uvicorn.Server):
    """Leaves signals to the caller, which stops the worker and Temporal in order too."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def prepare_store(settings: Settings, network_file: Path | None) -> tuple[InventoryStore, bool]:
    """Migrate the database and load the network into an empty store; (store, loaded)."""
    network = read_network_file(network_file, settings)
    private_folder(settings.data_dir)
    store = open_store(settings)
    return store, store.load_network(network, actor="system:dom-up")


@dataclass
class StackInfo:
    """Where the running stack answers, for the ``dom up`` banner."""

    api_url: str
    docs_url: str
    temporal_address: str
    ui_url: str | None


async def run_stack(
    settings: Settings,
    store: InventoryStore,
    client: Client,
    *,
    keys: Keys,
    on_ready: Callable[[StackInfo], None] | None = None,
    ui_url: str | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the worker and the API in this process until Ctrl-C (or ``stop`` is set)."""
    async with assembled_worker(settings, keys, store, client) as worker:
        server = _api_server(settings, store, client, keys)
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
        waiters: list[asyncio.Task[Any]] = [server_task, worker_task]
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
            for task in (server_task, worker_task):
                if task.done() and not task.cancelled():
                    failure = task.exception()
                    if failure is not None:
                        raise failure


def _api_server(settings: Settings, store: InventoryStore, client: Client, keys: Keys) -> _Server:
    """The API on the worker's client and store, served by uvicorn on this event loop."""
    vault = personal_vault(store, keys)
    gateway = OrderGateway(
        client, settings.task_queue, search_hash_key=keys.search_hash, vault=vault
    )
    app = create_app(settings, gateway=gateway, store=store, keys=keys, vault=vault)
    return _Server(
        uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port,
            timeout_keep_alive=settings.api_keepalive_seconds,
            log_level="warning",
            lifespan="on",
            http=BoundedHeadProtocol,  # 431 for a head over 32 KiB (starter/bootstrap/http.py)
            # JSON logs: uvicorn's own lines go through the root handler too, as JSON.
            log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        )
    )
