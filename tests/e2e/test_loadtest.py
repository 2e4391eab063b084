"""``dom loadtest`` against `dom up` on the demo network (simulated locations, which ship
within seconds): every order ends, and the report gives the rate and the percentiles."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from starter.cli.loadtest import percentiles
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    process, running = start_stack(tmp_path_factory.mktemp("load"), None)  # the demo network
    yield running
    stop_stack(process, running)


def test_loadtest_follows_every_order_to_its_end_and_reports(stack: Stack) -> None:
    run = subprocess.run(
        [
            sys.executable, "-m", "starter.cli", "loadtest",
            "--orders", "8", "--concurrency", "4", "--seed", "7",
            "--api-url", stack.api_url, "--token", stack.token("admin"),
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "8/8 orders ended" in run.stdout
    assert "orders/s" in run.stdout
    for row in ("allocated", "shipped"):
        assert row in run.stdout


def test_percentiles_of_a_few_values() -> None:
    assert percentiles([]) == {}
    assert percentiles([2.0]) == {"p50": 2.0, "p90": 2.0, "p99": 2.0, "max": 2.0}
    cuts = percentiles([float(n) for n in range(1, 101)])
    assert (round(cuts["p50"]), round(cuts["p90"]), cuts["max"]) == (50, 90, 100.0)
