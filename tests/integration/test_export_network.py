"""``dom export-network`` writes the live network as a file the loaders read back."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from adapters.store import InventoryStore
from domain.models import Location, WebhookAdapterConfig
from domain.network_file import load_network
from starter.cli import app

NETWORK = Path(__file__).parent.parent / "e2e" / "network.yaml"


def test_the_exported_network_reads_back_with_stock_on_hand_now(
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("DOM_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(app, ["load-network", str(NETWORK)]).exit_code == 0
    store = InventoryStore(f"sqlite:///{tmp_path / 'switchyard.db'}")
    store.receive("SLC-3PL", "SKIN-SERUM", 4, actor="ops:test")
    webhook = WebhookAdapterConfig(url="https://3pl.example/hook", secret="s3cret-value")
    store.add_location(
        Location(id="NEW-3PL", kind="3pl", postal_code="10001", adapter=webhook)  # type: ignore[arg-type]
    )
    live = store.network()
    store.close()
    out = tmp_path / "exported.yaml"
    result = runner.invoke(app, ["export-network", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "s3cret-value" not in text and "Webhook secrets are left out" in text
    exported = load_network(out)
    slc = next(loc for loc in exported.locations if loc.id == "SLC-3PL")
    assert slc.stock["SKIN-SERUM"] == 5  # 1 from the file, 4 received since
    assert exported.model_copy(update={"locations": exported.locations[:-1]}) == live.model_copy(
        update={"locations": live.locations[:-1]}
    )
    assert runner.invoke(app, ["export-network"]).output == text  # stdout by default
