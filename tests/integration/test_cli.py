"""The dom command line, run in-process against a temporary data dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.store import InventoryStore
from starter.cli import app

NETWORK = Path(__file__).parent.parent / "e2e" / "network.yaml"


def test_load_network_fills_an_empty_store_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOM_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    first = runner.invoke(app, ["load-network", str(NETWORK)])
    assert first.exit_code == 0, first.output
    assert "Loaded 4 locations and 4 SKUs" in first.output
    store = InventoryStore(f"sqlite:///{tmp_path / 'switchyard.db'}")
    assert store.balance("SLC-3PL", "SKIN-SERUM").on_hand == 1
    assert store.check_ledger() == []
    store.close()
    again = runner.invoke(app, ["load-network", str(NETWORK)])
    assert again.exit_code == 1 and "already holds a network" in again.output


def test_load_network_names_what_is_wrong_in_a_bad_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOM_DATA_DIR", str(tmp_path))
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "skus: [{sku: A, weight_lb: 1}]\n"
        "locations:\n  - {id: X, kind: castle, postal_code: '80202'}\n"
    )
    result = CliRunner().invoke(app, ["load-network", str(bad)])
    assert result.exit_code == 2
    assert "locations[0].kind" in result.output


def test_an_unusable_setting_stops_the_command_naming_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOM_API_PORT", "0")
    from_env = CliRunner().invoke(app, ["api"])
    assert from_env.exit_code == 2 and "DOM_API_PORT" in from_env.output
    # A flag replaces the variable, whose value is then not even looked at.
    from_flag = CliRunner().invoke(app, ["api", "--api-port", "70000"])
    assert from_flag.exit_code == 2 and "--api-port" in from_flag.output
    assert "DOM_API_PORT" not in from_flag.output


def test_load_network_refuses_a_webhook_the_policy_forbids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DOM_WEBHOOK_ALLOWED_HOSTS", raising=False)
    network = tmp_path / "webhooks.yaml"
    network.write_text(
        "skus: [{sku: A, weight_lb: 1}]\n"
        "locations:\n"
        "  - {id: X, kind: 3pl, postal_code: '80202',\n"
        "     adapter: {type: webhook, url: 'http://10.0.0.7/hook'}}\n"
    )
    refused = CliRunner().invoke(app, ["load-network", str(network)])
    assert refused.exit_code == 2
    assert "locations[0].adapter.url (X)" in refused.output
    assert "DOM_WEBHOOK_ALLOWED_HOSTS" in refused.output
    assert not (tmp_path / "switchyard.db").exists()  # nothing written

    monkeypatch.setenv("DOM_WEBHOOK_ALLOWED_HOSTS", "10.0.0.0/8")
    allowed = CliRunner().invoke(app, ["load-network", str(network)])
    assert allowed.exit_code == 0, allowed.output


def test_load_network_in_production_wants_https_and_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DOM_ENV", "production")
    network = tmp_path / "webhooks.yaml"
    network.write_text(
        "skus: [{sku: A, weight_lb: 1}]\n"
        "locations:\n"
        "  - {id: X, kind: 3pl, postal_code: '80202',\n"
        "     adapter: {type: webhook, url: 'http://93.184.216.34/hook'}}\n"
    )
    refused = CliRunner().invoke(app, ["load-network", str(network)])
    assert refused.exit_code == 2
    assert "locations[0].adapter.url (X)" in refused.output and "https" in refused.output
    assert "locations[0].adapter.secret (X)" in refused.output


@pytest.mark.parametrize("command", ["api", "worker"])
def test_dom_api_and_worker_refuse_to_start_without_keys_saying_what_to_set(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They never make keys up: a worker and an API with keys of their own could not
    read each other's payloads (dom up creates them in the data dir)."""
    for name in ("DOM_ENCRYPTION_KEYS", "DOM_SEARCH_HASH_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOM_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, [command])
    assert result.exit_code == 2
    assert "DOM_ENCRYPTION_KEYS" in result.output and "dom up" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_empty_key_in_production_stops_the_command_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOM_ENV", "production")
    monkeypatch.setenv("DOM_ENCRYPTION_KEYS", "")
    result = CliRunner().invoke(app, ["api"])
    assert result.exit_code == 2
    assert "DOM_ENCRYPTION_KEYS: Value error, is set but empty" in result.output


def test_retention_run_deletes_old_closed_orders_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.integration.store.test_store_retention import age, closed_order, rows_of
    from tests.support.builders import small_network

    monkeypatch.setenv("DOM_DATA_DIR", str(tmp_path))
    store = InventoryStore(f"sqlite:///{tmp_path / 'switchyard.db'}")
    store.migrate()
    store.load_network(small_network())
    closed_order(store, "OLD-1")
    closed_order(store, "RECENT")
    age(store, "OLD-1")

    kept = CliRunner().invoke(app, ["retention", "run"], env={"DOM_RETENTION_DAYS": "0"})
    assert kept.exit_code == 0 and "kept forever" in kept.output, kept.output
    result = CliRunner().invoke(app, ["retention", "run", "--days", "30"])

    assert result.exit_code == 0, result.output
    assert "deleted the rows of 1 order(s) closed more than 30 days ago" in result.output
    assert not any(rows_of(store, "OLD-1").values())
    assert all(rows_of(store, "RECENT").values())
    store.close()


def test_keys_rewrap_wraps_customer_keys_under_the_newest_payload_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from adapters.encryption import KeyRing, format_keys, new_key
    from adapters.personal_keys import PersonalVault
    from domain.models import Contact
    from domain.personal import Personal
    from tests.support.keys import TEST_ENVIRONMENT, TEST_KEYS

    store = InventoryStore(f"sqlite:///{tmp_path / 'switchyard.db'}")
    store.migrate()
    vault = PersonalVault(store, TEST_KEYS.encryption, TEST_KEYS.search_hash)
    personal = Personal(customer=Contact(name="Ada", email="ada@example.org"))
    sealed = asyncio.run(vault.seal("ada@example.org", personal))
    newest = new_key("k2")
    ring = format_keys([newest, TEST_KEYS.encryption.newest]).strip().replace("\n", ",")
    monkeypatch.setenv("DOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DOM_ENCRYPTION_KEYS", ring)
    monkeypatch.setenv("DOM_SEARCH_HASH_KEY", TEST_ENVIRONMENT["DOM_SEARCH_HASH_KEY"])

    result = CliRunner().invoke(app, ["keys", "rewrap"])

    assert result.exit_code == 0, result.output
    assert "rewrapped 1 customer key(s) under payload key k2" in result.output
    only_k2 = PersonalVault(store, KeyRing([newest]), TEST_KEYS.search_hash, cache_seconds=0)
    assert asyncio.run(only_k2.open(sealed)) == personal
    store.close()
