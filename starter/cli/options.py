"""What the ``dom`` commands share: the console, the common options, and the process's
settings and keys from the environment (``DOM_*``) overridden by the flags given.

Every command builds its settings here, once, when it runs; an unusable value or a
missing key stops it with exit code 2, naming what to fix, before anything starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from starter.bootstrap import start
from starter.bootstrap.keys import Keys, MissingKeys, UnusableKeys
from starter.bootstrap.settings import Settings

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


def settings_from_flags(**flags: object) -> Settings:
    """The environment (DOM_*), overridden by the flags the command line actually gave.

    An unusable value stops the command here (exit 2) with the setting's name: the flag's
    when a flag gave it, else the variable's."""
    given = {name: value for name, value in flags.items() if value is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]  # names checked by the model itself
    except ValidationError as exc:
        for problem in exc.errors():
            name = ".".join(str(part) for part in problem["loc"])
            source = "--" + name.replace("_", "-") if name in given else f"DOM_{name.upper()}"
            console.print(f"[red]{source}: {problem['msg']}[/]")
        raise typer.Exit(2) from None


def start_or_exit(settings: Settings, *, create_keys: bool = False) -> Keys:
    """``starter.bootstrap.start``: the process's keys and logging; a missing or unusable
    key stops the command here (exit 2), saying what to set."""
    try:
        return start(settings, create_keys=create_keys)
    except (MissingKeys, UnusableKeys) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None


def admin_token(settings: Settings) -> str | None:
    """DOM_ADMIN_TOKEN, else the admin token ``dom up`` wrote to the data dir."""
    from services.access import TOKENS_FILE, read_tokens_file

    if settings.admin_token_value:
        return settings.admin_token_value
    path = settings.data_dir / TOKENS_FILE
    return read_tokens_file(path).get("admin") if path.exists() else None
