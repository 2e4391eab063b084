"""``dom up`` and ``dom api`` as users start them: settings from the environment (a flag
wins only when given), and a ``dom up`` killed with SIGKILL followed by a new one on the
same data dir and ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from starter.bootstrap.dev_server import EmbeddedTemporal, _process_info, free_port
from tests.support.keys import TEST_ENVIRONMENT
from tests.support.stack import wait_healthy

pytestmark = pytest.mark.e2e


def _dom(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "starter.cli", *args],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
    )


def _stop(process: subprocess.Popen[bytes], log: Path) -> None:
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(timeout=30) == 0, log.read_text()
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"did not stop on Ctrl-C:\n{log.read_text()}") from None


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while _process_info(pid) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_dom_up_reads_the_environment_and_starts_again_after_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    temporal_port = free_port(with_ui=True)
    api_port = free_port(besides=[temporal_port])
    env = {
        "DOM_DATA_DIR": str(data_dir),
        "DOM_API_PORT": str(api_port),
        "DOM_TEMPORAL_PORT": str(temporal_port),
    }
    log = tmp_path / "dom-up.log"
    first = _dom(["up"], env, log)
    health = wait_healthy(first, f"http://127.0.0.1:{api_port}", log)
    assert health["temporal"] == "ok"
    assert (data_dir / "switchyard.db").exists()
    pid_file = data_dir / "temporal" / "temporal.pid"
    server_pid, owner = (int(f) for f in pid_file.read_text().split())
    assert owner == first.pid
    assert f"--port {temporal_port}" in " ".join(_process_info(server_pid).argv)  # type: ignore[union-attr]

    first.kill()  # SIGKILL: no cleanup runs in dom up
    first.wait()
    if sys.platform == "linux":  # the server dies with its parent
        assert _gone(server_pid, within=15), "the Temporal server outlived dom up"

    # Same data dir and ports, now given as flags over an environment that says otherwise.
    elsewhere = {**env, "DOM_API_PORT": str(free_port()), "DOM_TEMPORAL_PORT": str(free_port())}
    flags = ["--api-port", str(api_port), "--temporal-port", str(temporal_port)]
    second = _dom(["up", *flags], elsewhere, log)
    wait_healthy(second, f"http://127.0.0.1:{api_port}", log)
    assert "(existing data kept)" in log.read_text()
    _stop(second, log)
    assert not pid_file.exists()


def test_dom_api_reads_the_environment_and_a_flag_overrides_it(tmp_path: Path) -> None:
    temporal = EmbeddedTemporal(tmp_path / "temporal", free_port(), ui=False)
    temporal.start()
    from_env, from_flag = free_port(), free_port()
    env = {
        "DOM_API_PORT": str(from_env),
        "DOM_API_HOST": "127.0.0.1",
        "DOM_TEMPORAL_ADDRESS": temporal.address,
        "DOM_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        **TEST_ENVIRONMENT,  # dom api never creates keys: a stack in parts shares them
    }
    log_env, log_flag = tmp_path / "api-env.log", tmp_path / "api-flag.log"
    by_env = _dom(["api"], env, log_env)
    by_flag = _dom(["api", "--api-port", str(from_flag)], {**env, "DOM_API_PORT": "1"}, log_flag)
    try:
        assert wait_healthy(by_env, f"http://127.0.0.1:{from_env}", log_env)["database"] == "ok"
        wait_healthy(by_flag, f"http://127.0.0.1:{from_flag}", log_flag)
    finally:
        for process in (by_env, by_flag):
            process.terminate()
            process.wait(timeout=30)
        temporal.stop()
