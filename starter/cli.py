"""``dom``: run Switchyard whole (``up``) or in parts (``worker``, ``api``); try it (``demo``)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from starter.inventory_cli import inventory_app
from starter.keys import Keys
from starter.log_format import configure_logging
from starter.loop import run as run_on_loop
from starter.loop import uvicorn_loop
from starter.settings import Settings
from starter.simulate import simulate
from starter.token_cli import token_app

app = typer.Typer(
    help="Switchyard: distributed order management on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(inventory_app, name="inventory")
app.add_typer(token_app, name="token")
app.command("simulate")(simulate)
console = Console()

NetworkOpt = Annotated[
    Path | None,
    typer.Option(
        "--network",
        exists=True,
        dir_okay=False,
        help="Network file to load into an empty store (default: the demo network).",
    ),
]
# Options default to None, never to a value: a flag overrides the environment (DOM_*) only
# when it is given, and the defaults live in one place, ``Settings``.
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where the database and Temporal's files live (env DOM_DATA_DIR, default .dom).",
    ),
]
ApiPortOpt = Annotated[
    int | None, typer.Option(help="HTTP API port (env DOM_API_PORT, default 8000).")
]
ApiHostOpt = Annotated[
    str | None, typer.Option(help="HTTP API interface (env DOM_API_HOST, default 127.0.0.1).")
]
TemporalPortOpt = Annotated[
    int | None,
    typer.Option(
        help="Embedded Temporal port, UI on port+1000 (env DOM_TEMPORAL_PORT, default 7233)."
    ),
]


def _settings(**flags: object) -> Settings:
    """The environment (DOM_*), overridden by the flags the command line actually gave.

    Built once per command, when it runs; an unusable value stops it here (exit 2) with
    the setting's name, before anything starts."""
    given = {name: value for name, value in flags.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        for problem in exc.errors():
            name = ".".join(str(part) for part in problem["loc"])
            source = "--" + name.replace("_", "-") if name in given else f"DOM_{name.upper()}"
            console.print(f"[red]{source}: {problem['msg']}[/]")
        raise typer.Exit(2) from None


def _keys(settings: Settings, *, create: bool = False) -> Keys:
    """The process's secrets (env or data dir files); a missing or unusable one stops the
    command here (exit 2), saying what to set, before anything starts."""
    from starter.keys import MissingKeys, UnusableKeys, load_keys

    try:
        return load_keys(settings, create=create)
    except (MissingKeys, UnusableKeys) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


@app.command()
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
    from starter.stack import EmbeddedTemporal, connect_when_ready, prepare_store, run_stack
    from starter.temporal import metrics_runtime

    settings = _settings(
        data_dir=data_dir, api_port=api_port, api_host=api_host, temporal_port=temporal_port
    )
    _configure_logging(settings)
    keys = _keys(settings, create=True)  # first start: new keys in the data dir, mode 0600
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
    temporal = None
    ui_url = None

    async def main() -> None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        client = await connect_when_ready(
            settings.resolved_temporal_address,
            settings.temporal_namespace,
            keys=keys.encryption,
            runtime=metrics_runtime(settings.temporal_metrics_address),
        )

        def ready(info) -> None:
            console.print(f"\n[bold green]Switchyard is up.[/]\n  API docs:    {info.docs_url}")
            console.print(f"  Console:     {settings.api_url}/console (sign in with a token)")
            if info.ui_url:
                console.print(f"  Temporal UI: {info.ui_url}")
            console.print(f"  Temporal:    {info.temporal_address}")
            if tokens_file:
                console.print(f"  API tokens:  {tokens_file} (one per role and per location)")
            console.print("Press Ctrl-C to stop.\n")
            if demo:
                asyncio.get_running_loop().create_task(
                    _demo(settings.api_url, store.network(), demo, _admin_token(settings))
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


@app.command("load-network")
def load_network_command(
    network: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Network file.")],
) -> None:
    """Create the schema and load a network file into an empty store (DOM_DATABASE_URL).

    What `dom up --network` does on start, for production stacks whose workers and API
    run alone. A store that already holds locations is left as it is (exit code 1); a
    file with a webhook the policy refuses (DOM_ENV, DOM_WEBHOOK_ALLOWED_HOSTS) is not
    loaded (exit code 2)."""
    from adapters.store import InventoryStore
    from domain.network_file import NetworkFileError
    from starter.stack import read_network_file

    settings = _settings()
    try:
        parsed = read_network_file(network, settings)
    except NetworkFileError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    store = InventoryStore(settings.resolved_database_url)
    try:
        store.migrate()
        loaded = store.load_network(parsed, actor="system:dom-load-network")
    finally:
        store.close()
    if not loaded:
        console.print("The store already holds a network; nothing loaded.")
        raise typer.Exit(1)
    console.print(f"Loaded {len(parsed.locations)} locations and {len(parsed.skus)} SKUs.")


@app.command("export-network")
def export_network_command(
    out: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Write the live network (SKUs, locations, settings, stock on hand) of the store
    (DOM_DATABASE_URL, or the data dir's) as a network file for `dom simulate` or
    `dom up --network`. Webhook secrets are left out."""
    from adapters.store import InventoryStore
    from starter.export_network import export_network

    store = InventoryStore(_settings().resolved_database_url)
    try:
        text = export_network(store)
    finally:
        store.close()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        console.print(f"Wrote {out}.")


@app.command()
def worker() -> None:
    """Run a worker alone (DOM_TEMPORAL_ADDRESS, DOM_DATABASE_URL); start as many as needed."""
    from worker import run_worker

    _keys(_settings())  # refuse to start without keys, with the message, not a traceback
    with contextlib.suppress(KeyboardInterrupt):
        run_on_loop(run_worker())


@app.command()
def api(api_port: ApiPortOpt = None, api_host: ApiHostOpt = None) -> None:
    """Run the HTTP API alone against DOM_TEMPORAL_ADDRESS and DOM_DATABASE_URL."""
    import uvicorn

    from starter.api import create_app

    settings = _settings(api_port=api_port, api_host=api_host)
    keys = _keys(settings)
    _configure_logging(settings)
    # As in `dom up`: no access-log line per request (a line per location event and per
    # poll is CPU the API spends on nothing), unless DOM_LOG_LEVEL=DEBUG asks for it.
    uvicorn.run(
        create_app(settings, keys=keys),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        loop=uvicorn_loop(),
        access_log=settings.log_level.upper() == "DEBUG",
        # JSON logs: uvicorn's own lines go through the root handler too, as JSON.
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
    )


def _configure_logging(settings: Settings) -> None:
    """One log format for every command (``DOM_LOG_FORMAT``), as the worker's."""
    configure_logging(settings.log_level, settings.log_format)


@app.command()
def demo(
    orders: Annotated[int, typer.Option(help="How many demo orders to place.")] = 5,
    api_url: Annotated[
        str | None,
        typer.Option(help="The running API (default: from DOM_API_HOST and DOM_API_PORT)."),
    ] = None,
    network: NetworkOpt = None,
    token: Annotated[
        str | None,
        typer.Option(
            help="A token that may place and read orders (default: DOM_ADMIN_TOKEN, or the "
            "admin token in the data dir's tokens.txt)."
        ),
    ] = None,
) -> None:
    """Place realistic orders against a running stack and follow them to shipped."""
    from domain.network_file import demo_network, load_network

    settings = _settings()
    net = load_network(network) if network else demo_network()
    asyncio.run(_demo(api_url or settings.api_url, net, orders, token or _admin_token(settings)))


@app.command()
def loadtest(
    orders: Annotated[int, typer.Option(min=1, help="How many orders to place.")] = 100,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Orders in flight at once (each followed to its end).")
    ] = 10,
    api_url: Annotated[
        str | None,
        typer.Option(help="The running API (default: from DOM_API_HOST and DOM_API_PORT)."),
    ] = None,
    network: NetworkOpt = None,
    token: Annotated[
        str | None,
        typer.Option(help="A token that may place and read orders (default: as `dom demo`)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Make the orders the same every run.")] = None,
) -> None:
    """Place orders against a running stack and report orders per second and latency
    percentiles from checkout to allocated and to shipped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from domain.network_file import demo_network, load_network
    from starter.loadtest import percentiles, run_load

    settings = _settings()
    net = load_network(network) if network else demo_network()
    url = api_url or settings.api_url
    console.print(f"Placing {orders} order(s), {concurrency} at a time, through {url} ...")
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        report = asyncio.run(
            run_load(
                url, net, orders, concurrency,
                token=token or _admin_token(settings), seed=seed, progress=progress,
            )
        )  # fmt: skip
    finished = report.finished
    console.print(
        f"{len(finished)}/{orders} orders ended in {report.elapsed:.1f}s: "
        f"[bold]{report.orders_per_second:.2f} orders/s[/]; statuses {report.statuses()}"
    )
    table = Table(title="Latency from checkout (seconds)")
    for column in ("to", "p50", "p90", "p99", "max"):
        table.add_column(column)
    for label, values in (
        ("allocated", [t.allocated for t in report.timings if t.allocated is not None]),
        ("shipped", [t.done for t in finished if t.status == "shipped"]),
    ):
        cuts = percentiles(values)  # type: ignore[arg-type]
        table.add_row(
            label, *(f"{cuts[k]:.3f}" if cuts else "-" for k in ("p50", "p90", "p99", "max"))
        )
    console.print(table)
    if len(finished) < orders:
        raise typer.Exit(1)


def _admin_token(settings: Settings) -> str | None:
    """DOM_ADMIN_TOKEN, else the admin token ``dom up`` wrote to the data dir."""
    from services.access import TOKENS_FILE, read_tokens_file

    if settings.admin_token_value:
        return settings.admin_token_value
    path = settings.data_dir / TOKENS_FILE
    return read_tokens_file(path).get("admin") if path.exists() else None


def development_tokens_for(settings: Settings, store) -> Path | None:
    """``<data-dir>/tokens.txt``: written on a first development start, else as it is."""
    from services.access import TOKENS_FILE, development_tokens

    if settings.env == "development":
        development_tokens(store, settings.data_dir, [loc.id for loc in store.network().locations])
    path = settings.data_dir / TOKENS_FILE
    return path.resolve() if path.exists() else None


async def _demo(api_url: str, network, count: int, token: str | None) -> None:
    from starter.demo import place_and_follow

    console.print(f"Placing {count} demo order(s) through {api_url} ...")
    results = await place_and_follow(api_url, network, count, token=token)
    table = Table(title="Demo orders")
    for column in ("order", "status", "shipped from", "cost"):
        table.add_column(column)
    for r in results:
        table.add_row(r.order_id, r.status, ", ".join(r.locations), r.cost or "")
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
