"""``dom token``: issue, list and revoke API tokens in the store (DOM_DATABASE_URL, or the
SQLite file under ``--data-dir``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from adapters.private_files import private_folder
from domain.access import InvalidToken, Role, TokenGrant, parse_lifetime
from starter.cli.options import settings_from_flags

if TYPE_CHECKING:
    from adapters.store import InventoryStore

token_app = typer.Typer(help="API tokens: create, list and revoke them.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="The store of this `dom up` data dir (env DOM_DATA_DIR)."),
]


@contextmanager
def _store(data_dir: Path | None) -> Iterator[InventoryStore]:
    from adapters.store import InventoryStore

    settings = settings_from_flags(data_dir=data_dir)
    private_folder(settings.data_dir)
    store = InventoryStore(settings.resolved_database_url)
    try:
        store.migrate()
        yield store
    finally:
        store.close()


@token_app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="checkout, location, support, ops or admin.")],
    name: Annotated[str, typer.Option(help="Unique among live tokens; shows as the actor.")],
    location: Annotated[
        str | None, typer.Option(help="The location a `location` token is bound to.")
    ] = None,
    expires: Annotated[
        str | None, typer.Option(help="Lifetime such as 30d, 12h or 2w (default: never).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Issue a token and print it, once: only its digest is kept."""
    from services.access import expiry, issue_token

    try:
        lifetime = parse_lifetime(expires) if expires else None
        grant = TokenGrant(name, role, location, expiry(lifetime))
        with _store(data_dir) as store:
            if location is not None and location not in {
                loc.id for loc in store.network().locations
            }:
                raise InvalidToken(f"unknown location {location!r}")
            token, record = issue_token(store, grant, created_by="system:dom-token")
    except InvalidToken as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    typer.echo(token)
    until = f"until {record.expires_at:%Y-%m-%d %H:%M} UTC" if record.expires_at else "no expiry"
    err.print(f"Token {record.name!r} ({record.role.value}, {until}); it is not shown again.")


@token_app.command("list")
def list_tokens(data_dir: DataDir = None) -> None:
    """Every token issued: name, role, location, created, expires, revoked (no secrets)."""
    with _store(data_dir) as store:
        tokens = store.tokens()
    now = datetime.now(UTC)
    table = Table()
    for column in ("name", "role", "location", "created", "expires", "state"):
        table.add_column(column)
    for t in tokens:
        state = "live" if t.live(now) else ("revoked" if t.revoked_at else "expired")
        table.add_row(
            t.name,
            t.role.value,
            t.location_id or "",
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.expires_at:%Y-%m-%d %H:%M}" if t.expires_at else "never",
            state,
        )
    console.print(table)


@token_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="The live token's name.")], data_dir: DataDir = None
) -> None:
    """Revoke a token: every API process refuses it within a few seconds."""
    with _store(data_dir) as store:
        revoked = store.revoke_token(name)
    if revoked is None:
        err.print(f"[red]no live token named {name!r}[/]")
        raise typer.Exit(1)
    console.print(f"Revoked {name!r}.")
