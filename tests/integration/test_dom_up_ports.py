"""``dom up`` on a port something else holds: refused before anything starts, naming the
port and the option that moves it, with exit status 1 and no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from starter.bootstrap.dev_server import free_port, port_taken
from starter.bootstrap.settings import UI_PORT_OFFSET


@contextmanager
def listening(port: int) -> Iterator[None]:
    """Another program's server on ``port``."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()
        yield


def dom_up(data_dir: Path, api_port: int, temporal_port: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOM_")}
    return subprocess.run(
        [sys.executable, "-m", "starter.cli", "up", "--data-dir", str(data_dir),
         "--api-port", str(api_port), "--temporal-port", str(temporal_port)],
        capture_output=True, text=True, timeout=60, env={**env, "COLUMNS": "80"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("held", "option"),
    [("api", "--api-port"), ("temporal", "--temporal-port"), ("ui", "--temporal-port")],
)
def test_a_taken_port_is_refused_before_anything_starts(
    tmp_path: Path, held: str, option: str
) -> None:
    temporal_port = free_port(with_ui=True)
    api_port = free_port(besides=[temporal_port])
    port = {"api": api_port, "temporal": temporal_port,
            "ui": temporal_port + UI_PORT_OFFSET}[held]  # fmt: skip
    data_dir = tmp_path / "data"

    with listening(port):
        result = dom_up(data_dir, api_port, temporal_port)

    said = result.stdout + result.stderr
    assert result.returncode == 1, said
    assert f"port {port} is already in use" in said and option in said, said
    assert "Traceback" not in said and "Errno" not in said
    assert not data_dir.exists()  # no keys, no database, no Temporal files
    assert "starting dev server" not in said  # Temporal was never started
    assert not port_taken(temporal_port) or held == "temporal"


def test_a_port_left_in_time_wait_is_not_taken() -> None:
    port = free_port()
    with listening(port), socket.create_connection(("127.0.0.1", port)):
        assert port_taken(port)
    # The listener closed; its accepted-then-dropped connection may linger in TIME_WAIT,
    # which a server binding with SO_REUSEADDR (uvicorn, Temporal) does not mind.
    assert not port_taken(port)
