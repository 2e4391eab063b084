"""The embedded Temporal dev server after a crash: a leftover server is replaced, a live
stack on the same data dir is left alone. Real ``temporal`` processes, no mocks."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from starter.bootstrap.dev_server import EmbeddedTemporal, _port_open, _process_info, free_port
from starter.bootstrap.temporal import set_namespace_retention


@pytest.fixture
def temporal(tmp_path: Path) -> Iterator[EmbeddedTemporal]:
    server = EmbeddedTemporal(tmp_path / "data" / "temporal", free_port(), ui=False)
    yield server
    server.stop()


def _orphan(server: EmbeddedTemporal) -> int:
    """Start ``server``'s command the way a crashed ``dom up`` leaves it: parent gone,
    pid file written, still serving."""
    server.data_dir.mkdir(parents=True, exist_ok=True)
    cmd = " ".join(f"'{arg}'" for arg in server.command())
    shell = subprocess.run(
        ["sh", "-c", f"{cmd} >/dev/null 2>&1 & echo $!"], capture_output=True, text=True
    )
    pid = int(shell.stdout)
    server.pid_file.write_text(f"{pid} 999999999\n")  # an owner that no longer exists
    deadline = time.monotonic() + 30
    while not _port_open(server.port):
        assert time.monotonic() < deadline, "the orphan server did not start"
        time.sleep(0.05)
    return pid


def test_a_server_left_by_a_crash_is_replaced(temporal: EmbeddedTemporal) -> None:
    leftover = _orphan(temporal)
    temporal.start()
    assert _process_info(leftover) is None
    assert temporal.pid_file.read_text().split() == [str(temporal._process.pid), str(os.getpid())]  # type: ignore[union-attr]
    assert _port_open(temporal.port)
    temporal.stop()
    assert not temporal.pid_file.exists()


def test_a_running_stack_on_the_same_data_dir_is_left_alone(temporal: EmbeddedTemporal) -> None:
    temporal.start()
    second = EmbeddedTemporal(temporal.data_dir, free_port(), ui=False)
    with pytest.raises(RuntimeError, match="another dom up"):
        second.start()
    assert _port_open(temporal.port) and temporal._process.poll() is None  # type: ignore[union-attr]


def test_a_stale_pid_file_is_ignored(temporal: EmbeddedTemporal) -> None:
    """The recorded pid now belongs to an unrelated process (this one): never signalled."""
    temporal.data_dir.mkdir(parents=True)
    temporal.pid_file.write_text(f"{os.getpid()} 999999999\n")
    temporal.start()
    assert _port_open(temporal.port)


def test_the_servers_database_and_folder_are_its_owners_only(temporal: EmbeddedTemporal) -> None:
    old = os.umask(0o022)  # a usual umask: the modes must not depend on it
    try:
        temporal.start()
    finally:
        os.umask(old)
    temporal.stop()  # the database is written and closed
    assert temporal.db_file.exists()
    assert mode(temporal.data_dir) == 0o700
    for path in temporal.data_dir.glob("temporal.db*"):
        assert mode(path) == 0o600, path.name
    assert mode(temporal.log_file) == 0o600


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def test_the_namespace_keeps_closed_workflows_as_long_as_the_store(
    temporal: EmbeddedTemporal,
) -> None:
    temporal.start()
    client = await Client.connect(temporal.address)
    request = DescribeNamespaceRequest(namespace="default")
    before = await client.workflow_service.describe_namespace(request)
    assert before.config.workflow_execution_retention_ttl.seconds == 24 * 3600  # its own

    await set_namespace_retention(client, 90)

    after = await client.workflow_service.describe_namespace(request)
    assert after.config.workflow_execution_retention_ttl.seconds == 90 * 24 * 3600
