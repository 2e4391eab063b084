"""``dom``: run Switchyard whole (``up``) or in parts (``worker``, ``api``); try it (``demo``).

One module per command group, each registered here: ``serve`` (up, worker, api),
``network`` (load-network, export-network), ``tokens``, ``inventory``, ``retention``, ``simulate``,
``demo``, ``loadtest``. What they share (the console, the common options, settings from
the flags given) is in ``options``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import traceback
from typing import NoReturn

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
    """The ``dom`` command: run it, then leave with its own exit status (``leave``)."""
    try:
        app()
    except SystemExit as stop:
        code = exit_status(stop.code)
    except BaseException:  # printed as Python would, then the same status (1)
        traceback.print_exc()
        code = 1
    else:
        code = 0
    leave(code)


def exit_status(code: object) -> int:
    """``sys.exit``'s argument as a process status: None is 0, a message is 1 (printed)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(code: int) -> NoReturn:
    """Exit with ``code`` once every command has closed what it opened.

    Temporal's SDK runs its client on Rust threads (tokio) that call back into Python when
    a request completes, and it offers no way to stop them. If one does so while the
    interpreter finalizes (a request whose caller gave up on it, answered late), CPython
    aborts the process ("Fatal Python error: PyGILState_Release", status -6) after the
    command has done its work. So, with the SDK loaded: flush, wait for our own threads
    (every command has closed its store, clients and executors by now), and end the
    process without the finalization, as ``os._exit`` does. A command that never touched
    Temporal exits the ordinary way."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    if TEMPORAL_CORE not in sys.modules:
        sys.exit(code)
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join(timeout=10)
    os._exit(code)


TEMPORAL_CORE = "temporalio.bridge.temporal_sdk_bridge"
"""The SDK's Rust extension module: once imported, its threads may outlive the command."""
