"""``dom retention run``: delete closed orders' store rows older than DOM_RETENTION_DAYS now.

Workers do this by themselves (a pass at start, then hourly); this runs one pass on
demand, say before a backup, or with ``--days`` shorter than the setting once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

retention_app = typer.Typer(
    help="Retention: closed orders' store rows are deleted after DOM_RETENTION_DAYS.",
    no_args_is_help=True,
)


@retention_app.command("run")
def run(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Where `dom up` keeps its files (default: DOM_DATA_DIR)."),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(min=1, help="Keep this many days instead (default: DOM_RETENTION_DAYS)."),
    ] = None,
) -> None:
    """One retention pass now: the store rows of orders closed more than the retention
    period ago go (never the ledger). Safe beside running workers; prints what went."""
    from services.retention import RetentionSchedule, purge
    from starter.bootstrap import open_store
    from starter.bootstrap.settings import mask_database_url
    from starter.cli.options import settings_from_flags

    settings = settings_from_flags(data_dir=data_dir, retention_days=days)
    if settings.retention_days == 0:
        typer.echo("DOM_RETENTION_DAYS is 0: closed orders are kept forever; nothing to do")
        return
    store = open_store(settings)
    try:
        purged = purge(store, RetentionSchedule(days=settings.retention_days))
    finally:
        store.close()
    rows = ", ".join(f"{table} {n}" for table, n in sorted(purged.rows.items()) if n)
    typer.echo(
        f"store {mask_database_url(settings.resolved_database_url)}: deleted the rows of "
        f"{purged.orders} order(s) closed more than {settings.retention_days} days ago"
        + (f" ({rows})" if rows else "")
    )
