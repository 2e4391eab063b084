"""``dom load-network`` and ``dom export-network``: network files into and out of the store.

``load-network`` is what ``dom up --network`` does on start, for stacks whose workers and
API run alone; ``export-network`` writes the live network (SKUs, locations and their
settings, stock on hand now) as a file that ``dom simulate`` and ``dom up --network`` read
back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml

from adapters.webhook_urls import network_webhook_problems
from domain.models import Network, WebhookAdapterConfig
from domain.network_file import NetworkFileError, demo_network, load_network
from starter.cli.options import console, settings_from_flags

if TYPE_CHECKING:
    from adapters.store import InventoryStore
    from starter.bootstrap.settings import Settings

HEADER = (
    "# Exported by dom export-network: the live SKUs, locations and stock on hand.\n"
    "# Webhook secrets are left out: set them again before loading this file.\n"
)


def network_file(network: Network) -> str:
    """``network`` as network-file YAML (webhook secrets left out: a file travels)."""
    data: dict[str, Any] = network.model_dump(mode="json", exclude_none=True)
    for location, stored in zip(data["locations"], network.locations, strict=True):
        if isinstance(stored.adapter, WebhookAdapterConfig):
            location["adapter"].pop("secret", None)
    return HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def export_network(store: InventoryStore) -> str:
    """The store's network now, as a network file."""
    return network_file(store.network())


def read_network_file(network_file: Path | None, settings: Settings) -> Network:
    """The network file (default: the demo network), its webhook locations judged by the
    settings' webhook policy; ``NetworkFileError`` naming each field that is refused."""
    network: Network = load_network(network_file) if network_file else demo_network()
    problems = network_webhook_problems(network, settings.webhook_policy)
    if problems:
        raise NetworkFileError(f"{network_file or 'demo network'}: " + "; ".join(problems))
    return network


def load_network_command(
    network: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Network file.")],
) -> None:
    """Create the schema and load a network file into an empty store (DOM_DATABASE_URL).

    What `dom up --network` does on start, for production stacks whose workers and API
    run alone. A store that already holds locations is left as it is (exit code 1); a
    file with a webhook the policy refuses (DOM_ENV, DOM_WEBHOOK_ALLOWED_HOSTS) is not
    loaded (exit code 2)."""
    from adapters.store import InventoryStore

    settings = settings_from_flags()
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


def export_network_command(
    out: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Write the live network (SKUs, locations, settings, stock on hand) of the store
    (DOM_DATABASE_URL, or the data dir's) as a network file for `dom simulate` or
    `dom up --network`. Webhook secrets are left out."""
    from adapters.store import InventoryStore

    store = InventoryStore(settings_from_flags().resolved_database_url)
    try:
        text = export_network(store)
    finally:
        store.close()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        console.print(f"Wrote {out}.")
