"""The real stack as users run it: ``dom up`` in a subprocess, spoken to over HTTP only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.access import TOKENS_FILE, read_tokens_file
from starter.bootstrap.dev_server import free_port

HERE = Path(__file__).parent


@dataclass
class Stack:
    api_url: str
    data_dir: Path
    log: Path
    ui_url: str = ""

    def token(self, role: str = "admin") -> str:
        """A development token ``dom up`` wrote to the data dir's tokens.txt, by role (or
        ``location:<id>``)."""
        return read_tokens_file(self.data_dir / TOKENS_FILE)[role]

    def client(self, role: str = "admin") -> httpx.Client:
        """An HTTP client that calls as ``role`` (admin unless told otherwise)."""
        headers = {"Authorization": f"Bearer {self.token(role)}"}
        return httpx.Client(base_url=self.api_url, timeout=30, headers=headers)


def start_stack(
    tmp: Path,
    network: Path | None,
    extra_env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
) -> tuple[subprocess.Popen[bytes], Stack]:
    """``dom up`` on free ports (``network`` None: the built-in demo network)."""
    temporal_port = free_port(with_ui=True)
    api_port = free_port(besides=[temporal_port])
    log = tmp / "dom-up.log"
    env = {**os.environ, **(extra_env or {})}
    process = subprocess.Popen(
        [
            sys.executable, "-m", "starter.cli", "up",
            *(["--network", str(network)] if network else []),
            "--data-dir", str(tmp / "data"),
            "--api-port", str(api_port),
            "--temporal-port", str(temporal_port),
            *(extra_args or []),
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
    )  # fmt: skip
    stack = Stack(
        api_url=f"http://127.0.0.1:{api_port}",
        data_dir=tmp / "data",
        log=log,
        ui_url=f"http://127.0.0.1:{temporal_port + 1000}",
    )
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"dom up exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{stack.api_url}/health", timeout=2).status_code == 200:
                return process, stack
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"dom up did not become healthy:\n{log.read_text()}")
        time.sleep(0.25)


def stop_stack(process: subprocess.Popen[bytes], stack: Stack) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"dom up did not stop on Ctrl-C:\n{stack.log.read_text()}") from None


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole stack on the textbook network, for one test module."""
    tmp = tmp_path_factory.mktemp("stack")
    process, running = start_stack(tmp, HERE / "network.yaml")
    yield running
    stop_stack(process, running)
    assert process.returncode == 0, running.log.read_text()
