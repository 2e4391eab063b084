"""``dom``: run Switchyard whole (``up``) or in parts (``worker``, ``api``); try it (``demo``).

One module per command group, each registered here: ``serve`` (up, worker, api),
``network`` (load-network, export-network), ``tokens``, ``inventory``, ``retention``, ``simulate``,
``demo``, ``loadtest``. What they share (the console, the common options, settings from
the flags given) is in ``options``.
"""

from __future__ import annotations

import typer

from starter.cli import demo, inventory, keys, loadtest, network, retention, serve, simulate, tokens

app = typer.Typer(
    help="Switchyard: distributed order management on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(inventory.inventory_app, name="inventory")
app.add_typer(tokens.token_app, name="token")
app.add_typer(retention.retention_app, name="retention")
app.add_typer(keys.keys_app, name="keys")
app.command("simulate")(simulate.simulate)
app.command("up")(serve.up)
app.command("load-network")(network.load_network_command)
app.command("export-network")(network.export_network_command)
app.command("worker")(serve.worker)
app.command("api")(serve.api)
app.command("demo")(demo.demo_command)
app.command("loadtest")(loadtest.loadtest_command)


def main() -> None:
    app()
