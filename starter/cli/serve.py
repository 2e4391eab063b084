"""``dom up``, ``dom worker``, ``dom api``: run Switchyard whole, or its parts alone.

Each starts through the bootstrap (``starter.bootstrap``): the same settings, keys,
logging, client and worker whichever way it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from starter.bootstrap.loop import run as run_on_loop
from starter.bootstrap.loop import uvicorn_loop
from starter.bootstrap.settings import Settings
from starter.cli.options import (
    ApiHostOpt,
    ApiPortOpt,
    DataDirOpt,
    NetworkOpt,
    TemporalPortOpt,
    admin_token,
    console,
    settings_from_flags,
    start_or_exit,
)

if TYPE_CHECKING:
    from adapters.store import InventoryStore
    from starter.bootstrap.dev_server import EmbeddedTemporal
    from starter.cli.stack import StackInfo


def up(
    network: NetworkOpt = None,
    data_dir: DataDirOpt = None,
    api_port: ApiPortOpt = None,
    api_host: ApiHostOpt = None,
    temporal_port: TemporalPortOpt = None,
    demo: Annotated[int, typer.Option(help="Place this many demo orders once up.")] = 0,
) -> None:
    """Run everything: an embedded Temporal server, the worker and the API. Ctrl-C stops all."""
    from domain.network_file import NetworkFileError
    from starter.bootstrap.dev_server import EmbeddedTemporal
    from starter.bootstrap.temporal import client_for, set_namespace_retention
    from starter.cli.demo import show_demo
    from starter.cli.stack import prepare_store, run_stack

    settings = settings_from_flags(
        data_dir=data_dir, api_port=api_port, api_host=api_host, temporal_port=temporal_port
    )
    embedded = settings.temporal_address is None
    if embedded:
        try:  # a crashed dom up's dev server frees its ports; another dom up here is refused
            EmbeddedTemporal(settings.data_dir / "temporal", settings.temporal_port).stop_leftover()
        except RuntimeError as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from None
    refuse_taken_ports(settings, temporal=embedded)  # before anything starts
    keys = start_or_exit(settings, create_keys=True)  # first start: new keys, mode 0600
    try:
        store, loaded = prepare_store(settings, network)
    except NetworkFileError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    console.print(
        f"[bold]Store[/] {settings.database_url_for_logs} "
        + ("(network loaded)" if loaded else "(existing data kept)")
    )
    tokens_file = development_tokens_for(settings, store)
    temporal: EmbeddedTemporal | None = None
    ui_url: str | None = None

    async def main() -> None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        client = await client_for(settings, keys, wait_seconds=60.0)
        if temporal is not None and settings.retention_days:
            # The embedded server's histories are kept as long as the store's rows.
            await set_namespace_retention(client, settings.retention_days)
        demo_runs: set[asyncio.Task[None]] = set()

        def ready(info: StackInfo) -> None:
            console.print(f"\n[bold green]Switchyard is up.[/]\n  API docs:    {info.docs_url}")
            console.print(f"  Console:     {settings.api_url}/console (sign in with a token)")
            if info.ui_url:
                console.print(f"  Temporal UI: {info.ui_url}")
            console.print(f"  Temporal:    {info.temporal_address}")
            if tokens_file:
                console.print(f"  API tokens:  {tokens_file} (one per role and per location)")
            console.print("Press Ctrl-C to stop.\n")
            if demo:  # kept referenced: the loop holds only a weak reference to a task
                demo_runs.add(
                    asyncio.get_running_loop().create_task(
                        show_demo(
                            settings.api_url,
                            store.network(),
                            demo,
                            admin_token(settings),
                            by_hand=True,
                        )
                    )
                )

        await run_stack(
            settings, store, client, keys=keys, on_ready=ready, ui_url=ui_url, stop=stop
        )

    try:  # from here on every exit (Ctrl-C while Temporal starts too) stops what started
        if settings.temporal_address is None:
            temporal = EmbeddedTemporal(
                settings.data_dir / "temporal",
                settings.temporal_port,
                codec_endpoint=settings.codec_endpoint,
            )
            console.print(f"[bold]Temporal[/] starting dev server on {temporal.address} ...")
            try:
                temporal.start()
            except RuntimeError as exc:  # the port is taken, another dom up runs here...
                console.print(f"[red]{exc}[/]")
                raise typer.Exit(1) from None
            ui_url = temporal.ui_url
        run_on_loop(main())
    finally:
        if temporal is not None and temporal.running:
            console.print("[bold]Stopping[/] Temporal dev server ...")
            temporal.stop()
        store.close()
        console.print("Stopped.")


def refuse_taken_ports(settings: Settings, *, temporal: bool) -> None:
    """Stop here (exit 1), naming each port that something else already listens on and
    the option that moves it, before anything is started or written."""
    from starter.bootstrap.dev_server import port_taken
    from starter.bootstrap.settings import UI_PORT_OFFSET

    wanted = [(settings.api_host, settings.api_port, "--api-port (env DOM_API_PORT)")]
    if temporal:
        port = settings.temporal_port
        option = "--temporal-port (env DOM_TEMPORAL_PORT)"
        ui = f"{option}: the Temporal UI listens on its port + {UI_PORT_OFFSET}"
        wanted += [("127.0.0.1", port, option), ("127.0.0.1", port + UI_PORT_OFFSET, ui)]
    taken = [(port, option) for host, port, option in wanted if port_taken(port, host)]
    for port, option in taken:
        console.print(
            f"[red]port {port} is already in use[/]: stop what runs there, "
            f"or choose another with {option}",
            soft_wrap=True,  # one line, however narrow the terminal: a script may grep it
        )
    if taken:
        raise typer.Exit(1)


def worker() -> None:
    """Run a worker alone (DOM_TEMPORAL_ADDRESS, DOM_DATABASE_URL); start as many as needed."""
    from starter.bootstrap.worker import run_worker

    settings = settings_from_flags()
    keys = start_or_exit(settings)  # refuse to start without keys, with the message
    with contextlib.suppress(KeyboardInterrupt):
        run_on_loop(run_worker(settings, keys))


def api(api_port: ApiPortOpt = None, api_host: ApiHostOpt = None) -> None:
    """Run the HTTP API alone against DOM_TEMPORAL_ADDRESS and DOM_DATABASE_URL."""
    import uvicorn

    from starter.app import create_app
    from starter.bootstrap.http import BoundedHeadProtocol

    settings = settings_from_flags(api_port=api_port, api_host=api_host)
    refuse_taken_ports(settings, temporal=False)
    keys = start_or_exit(settings)
    # As in `dom up`: no access-log line per request (a line per location event and per
    # poll is CPU the API spends on nothing), unless DOM_LOG_LEVEL=DEBUG asks for it.
    uvicorn.run(
        create_app(settings, keys=keys),
        host=settings.api_host,
        port=settings.api_port,
        timeout_keep_alive=settings.api_keepalive_seconds,
        log_level="warning",
        loop=uvicorn_loop(),
        http=BoundedHeadProtocol,  # 431 for a head over 32 KiB (starter/bootstrap/http.py)
        access_log=settings.log_level.upper() == "DEBUG",
        # JSON logs: uvicorn's own lines go through the root handler too, as JSON.
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
    )


def development_tokens_for(settings: Settings, store: InventoryStore) -> Path | None:
    """``<data-dir>/tokens.txt``: written on a first development start, else as it is."""
    from services.access import TOKENS_FILE, development_tokens

    if settings.env == "development":
        development_tokens(store, settings.data_dir, [loc.id for loc in store.network().locations])
    path = settings.data_dir / TOKENS_FILE
    return path.resolve() if path.exists() else None


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
