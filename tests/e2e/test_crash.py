"""``benchmarks/crash.py``, small: orders go on while the worker, the API and Temporal are
killed, and afterwards nothing is lost, stuck, dispatched or shipped twice, and the books
balance. SQLite only: stopping the shared PostgreSQL server would break the tests that
run beside this one (the full run in docs/crash-test.md does it on PostgreSQL).

Bounded, not fast: an activity whose worker died (or whose completion the dead Temporal
server never received) is retried only when its start-to-close timeout ends, 130 s for a
webhook dispatch, so one unlucky kill holds its order that long."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ORDERS = 40
KILLS = {"worker": 2, "api": 2, "temporal": 1}


def test_nothing_is_lost_stuck_or_doubled_when_the_stack_is_killed(tmp_path: Path) -> None:
    out = tmp_path / "crash.json"
    command = [
        sys.executable, str(ROOT / "benchmarks" / "crash.py"),
        "--orders", str(ORDERS), "--database", "sqlite", "--seed", "11",
        "--worker-kills", str(KILLS["worker"]), "--api-kills", str(KILLS["api"]),
        "--temporal-kills", str(KILLS["temporal"]),
        "--concurrency", "16", "--poll-interval", "0.5", "--order-timeout", "300",
        "--json", str(out),
    ]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["kills"] == KILLS
    assert figures["accepted"] == figures["shipped"] == ORDERS
    assert figures["duplicates"] == 0
    assert figures["discrepancies"] == 0 and figures["problems"] == []
    # An outage is answered 503 (retried) or not at all (a dropped connection), never a
    # 500 or a 409 to a valid call.
    assert figures["unexpected_answers"] == 0, figures["first_unexpected_answers"]
