"""What the benchmark scripts share: starting and stopping processes, and percentiles.

Kept free of Switchyard imports, so a script (and the bare worker's process) can import
it without loading the stack.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

# The stacks benchmarks start take this as their bootstrap admin token (DOM_ADMIN_TOKEN);
# the drivers send it, as an integration sends the token it was given.
ADMIN_TOKEN = "benchmark-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# The drivers send everything (orders, every location's events, polls) with that one
# token, at rates no real caller sends: the stacks they start measure throughput, not
# the rate limits (docs/security.md, "Limits"), so they run without them.
STACK_ENV = {"DOM_ADMIN_TOKEN": ADMIN_TOKEN, "DOM_RATE_LIMITS": "false"}


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    index = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def http_ok(url: str) -> bool:
    """``GET url`` answers 200 (False while the server is not up yet)."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def running(
    command: list[str], log: Path, *, ready: Callable[[], bool], env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (from the repository's root) until the block ends, once ``ready``;
    Ctrl-C reaches only us, and we stop it in order (SIGINT, then kill after 30 s)."""
    process = _spawn(command, log, env)
    try:
        _wait_until_ready(process, command, log, ready)
        yield process
    finally:
        _stop(process)


class Restartable:
    """A process that can be killed at any moment (SIGKILL, no goodbye) and started again,
    as a crash test does to it. Each start logs to a file of its own (``<name>-<n>.log``),
    so that ``ready`` reads only what this start wrote."""

    def __init__(
        self,
        name: str,
        command: list[str],
        log_dir: Path,
        *,
        ready: Callable[[Path], bool],
        env: dict[str, str],
    ) -> None:
        self.name = name
        self.command = command
        self.log_dir = log_dir
        self.env = env
        self.starts = 0
        self.kills = 0
        self._ready = ready
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        """This start's log."""
        return self.log_dir / f"{self.name}-{self.starts}.log"

    def start(self) -> None:
        """Start it and wait until it is ready (RuntimeError, with its log, if it is not)."""
        self.starts += 1
        log = self.log
        self._process = _spawn(self.command, log, self.env)
        _wait_until_ready(self._process, self.command, log, lambda: self._ready(log))

    def kill(self) -> None:
        """SIGKILL it (its whole process group) and reap it."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self.kills += 1

    def stop(self) -> None:
        """Stop it in order (SIGINT, then kill after 30 s), if it runs."""
        process, self._process = self._process, None
        if process is not None:
            _stop(process)


def _spawn(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``command`` from the repository's root, in a session of its own (Ctrl-C reaches
    only us), its output appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_until_ready(
    process: subprocess.Popen[bytes], command: list[str], log: Path, ready: Callable[[], bool]
) -> None:
    deadline = time.monotonic() + 120
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{command[2:4]} exited early; see {log}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError(f"{command[2:4]} did not start; see {log}:\n{_tail(log)}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""
