"""``dom keys rewrap``: wrap every customer's key under the newest payload key.

Customers' own keys (docs/security.md) are kept wrapped by the payload key ring. After a
rotation (a new key first in ``DOM_ENCRYPTION_KEYS``), new customers' keys are wrapped by
it at once; this rewraps the older ones, so the old payload key can be retired once no
history needs it either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

keys_app = typer.Typer(help="Customers' keys and the payload key ring.", no_args_is_help=True)


@keys_app.command("rewrap")
def rewrap(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Where `dom up` keeps its files (default: DOM_DATA_DIR)."),
    ] = None,
) -> None:
    """Wrap every customer key under the newest payload key (safe beside running processes)."""
    from starter.bootstrap import open_store
    from starter.bootstrap.keys import load_keys, personal_vault
    from starter.cli.options import settings_from_flags

    settings = settings_from_flags(data_dir=data_dir)
    keys = load_keys(settings)
    store = open_store(settings)
    try:
        count = personal_vault(store, keys).rewrap()
    finally:
        store.close()
    typer.echo(
        f"rewrapped {count} customer key(s) under payload key {keys.encryption.newest.key_id}"
    )
