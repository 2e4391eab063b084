"""``dom`` commands end with their own status, and the API keeps idle connections open.

One ``dom up`` stack (the textbook network) serves every test here. The short commands run
as operators and cron jobs run them, as separate processes; a crash at interpreter
shutdown (Temporal's Rust threads meeting CPython's finalization: "Fatal Python error:
PyGILState_Release", or a hang while the SDK's runtime is freed) would show up as a
status other than the command's own, a "Fatal Python error" or a timeout.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from tests.support.data import E2E
from tests.support.stack import Stack, start_stack, stop_stack

RUNS = 20


@dataclass
class Running:
    stack: Stack
    temporal_address: str

    def dom(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """A ``dom`` command next to the stack, as an operator runs it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOM_")}
        return subprocess.run(
            [sys.executable, "-m", "starter.cli", *args],
            capture_output=True, text=True, timeout=timeout, env=env,
        )  # fmt: skip


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("clean-exits")
    process, stack = start_stack(tmp, E2E / "network.yaml")
    args = [str(a) for a in process.args]  # type: ignore[union-attr]
    yield Running(stack, f"127.0.0.1:{args[args.index('--temporal-port') + 1]}")
    stop_stack(process, stack)
    assert process.returncode == 0, stack.log.read_text()


@pytest.mark.e2e
@pytest.mark.slow
def test_inventory_check_exits_with_its_own_status_every_time(running: Running) -> None:
    where = ["--data-dir", str(running.stack.data_dir), "--temporal-address",
             running.temporal_address, "--recheck", "0"]  # fmt: skip
    statuses = []
    for run in range(RUNS):
        repair = ["--repair"] if run % 2 else []  # the crash was first seen after a repair
        result = running.dom("inventory", "check", *where, *repair)
        assert "Fatal Python error" not in result.stderr, result.stderr
        assert result.stdout.rstrip().endswith("clean"), result.stdout + result.stderr
        statuses.append(result.returncode)
    assert statuses == [0] * RUNS
    # A check that cannot run says so with its own status (2), as cleanly.
    unreachable = running.dom("inventory", "check", "--data-dir", str(running.stack.data_dir),
                              "--temporal-address", "127.0.0.1:1")  # fmt: skip
    assert unreachable.returncode == 2, unreachable.stdout + unreachable.stderr
    assert "Fatal Python error" not in unreachable.stderr


@pytest.mark.e2e
def test_a_command_that_abandons_temporal_requests_still_exits_at_once(running: Running) -> None:
    # The deterministic form of the shutdown crash: requests still in flight on the SDK's
    # Rust threads when the command ends. Left to the interpreter's finalization, this
    # process hangs (the SDK's runtime waits for threads that wait for the GIL) or aborts;
    # ``leave`` ends it with the command's status.
    script = textwrap.dedent(f"""
        import asyncio
        from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
        from temporalio.client import Client
        from starter.cli import leave

        async def main():
            client = await Client.connect({running.temporal_address!r})
            calls = [asyncio.create_task(client.workflow_service.get_system_info(
                GetSystemInfoRequest())) for _ in range(200)]
            await asyncio.sleep(0.001)
            for call in calls:
                call.cancel()

        asyncio.run(main())
        leave(3)
    """)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stderr) == (3, "")
    assert time.monotonic() - started < 30


@pytest.mark.e2e
@pytest.mark.slow
def test_the_api_keeps_an_idle_connection_open_past_five_seconds(running: Running) -> None:
    # Clients' pools (httpx's among them) keep a connection idle 5 s: a server that closes
    # at 5 s races their next request (ReadError). The API keeps it 75 s by default.
    url = urlsplit(running.stack.api_url)
    request = f"GET /health HTTP/1.1\r\nHost: {url.hostname}\r\n\r\n".encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(request)
        assert _response(conn).startswith(b"HTTP/1.1 200")
        time.sleep(6.5)
        conn.sendall(request)  # the same connection, idle 6.5 s
        assert _response(conn).startswith(b"HTTP/1.1 200")


def _response(conn: socket.socket) -> bytes:
    """One whole HTTP response (headers and a Content-Length body) read off ``conn``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, f"the server closed the connection: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )  # fmt: skip
    while len(body) < length:
        chunk = conn.recv(65536)
        assert chunk, "the server closed the connection mid-answer"
        body += chunk
    return head
