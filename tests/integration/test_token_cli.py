"""``dom token create / list / revoke`` against a data dir's store."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from adapters.store import InventoryStore
from domain.network_file import demo_network
from services.access import Authenticator
from starter.cli import app


def test_create_prints_the_token_once_list_shows_no_secret_and_revoke_ends_it(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    made = runner.invoke(
        app, ["token", "create", "--role", "ops", "--name", "ana", "--expires", "30d", *data]
    )
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    assert token.startswith("sy_")

    store = InventoryStore(f"sqlite:///{tmp_path / 'switchyard.db'}")
    try:
        assert Authenticator(store).principal(token).actor == "ops:ana"
        [record] = store.tokens()
        assert record.expires_at is not None
    finally:
        store.close()

    listed = runner.invoke(app, ["token", "list", *data])
    assert "ana" in listed.stdout and "live" in listed.stdout and token not in listed.stdout

    assert runner.invoke(app, ["token", "revoke", "ana", *data]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["token", "list", *data]).stdout
    assert runner.invoke(app, ["token", "revoke", "ana", *data]).exit_code == 1


def test_a_location_token_needs_a_known_location(tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    store = InventoryStore(f"sqlite:///{tmp_path / 'switchyard.db'}")
    store.migrate()
    store.load_network(demo_network())
    some_location = store.network().locations[0].id
    store.close()
    unbound = runner.invoke(app, ["token", "create", "--role", "location", "--name", "x", *data])
    assert unbound.exit_code == 2 and "needs --location" in unbound.output
    ghost = ["--location", "NOWHERE"]
    unknown = runner.invoke(
        app, ["token", "create", "--role", "location", "--name", "x", *ghost, *data]
    )
    assert unknown.exit_code == 2 and "unknown location" in unknown.output
    bound = ["--location", some_location]
    made = runner.invoke(
        app, ["token", "create", "--role", "location", "--name", "x", *bound, *data]
    )
    assert made.exit_code == 0, made.output
