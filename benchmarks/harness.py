"""What the benchmark scripts share: starting and stopping processes, and percentiles.

Kept free of Switchyard imports: ``throughput.py`` imports it lazily, because the
workflow sandbox re-imports that script for every bare workflow it runs.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


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
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while not ready():
            if process.poll() is not None:
                raise RuntimeError(f"{command[2:4]} exited early; see {log}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[2:4]} did not start; see {log}:\n{_tail(log)}")
            time.sleep(0.1)
        yield process
    finally:
        _stop(process)


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
