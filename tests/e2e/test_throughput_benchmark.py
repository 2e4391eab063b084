"""``benchmarks/throughput.py`` still runs end to end: a handful of orders through every
phase, the stacks' checked afterwards. Speed is not asserted here (benchmarks report
figures; tests do not time things), only that the script works and measures what it says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDERS, WARMUP = 6, 2


@pytest.fixture(scope="module")
def benchmark(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    """One run of every phase, shared by the tests below: (its stdout, its JSON)."""
    out = tmp_path_factory.mktemp("throughput") / "figures.json"
    command = [
        sys.executable, str(ROOT / "benchmarks" / "throughput.py"),
        "--orders", str(ORDERS), "--warmup", str(WARMUP), "--concurrency", "3", "--rounds", "2",
        "--shaped", "--http", "--json", str(out),
    ]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=420)
    # Exit 1 also when a valid call got an answer it should never get (a 409 or a 500 to
    # an event): the figures are written first, and the output says which.
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout, json.loads(out.read_text())


def test_the_throughput_benchmark_runs_every_phase_and_reports_its_ratios(
    benchmark: tuple[str, dict],
) -> None:
    stdout, figures = benchmark
    for phase in ("bare", "shaped", "stack", "http"):
        assert figures[phase]["orders_per_second"] > 0, phase
        p50, p90, p99 = (figures[phase][f"p{q}_ms"] for q in (50, 90, 99))
        assert 0 < p50 <= p90 <= p99, phase
        cpu = figures[phase]["cpu_ms_per_order"]
        assert cpu["server"] > 0 and cpu["worker"] > 0, phase
    # Every order on the benchmark network (ample stock everywhere) ships as one package.
    assert figures["stack"]["packages_per_order"] == [1]
    assert figures["http"]["packages_per_order"] == [1]
    stack, bare, shaped, http = (
        figures[p]["orders_per_second"] for p in ("stack", "bare", "shaped", "http")
    )
    assert figures["ratio"] == pytest.approx(stack / bare, abs=0.01)
    assert figures["ratio_to_shaped"] == pytest.approx(stack / shaped, abs=0.01)
    assert figures["shape_cost"] == pytest.approx(shaped / bare, abs=0.01)
    assert figures["http_ratio"] == pytest.approx(http / bare, abs=0.01)
    for line in ("stack / bare:", "stack / shaped:", "http / bare:"):
        assert line in stdout


def test_the_http_phase_ran_in_parts_and_counted_every_call(benchmark: tuple[str, dict]) -> None:
    """The stack ran as ``dom worker`` and ``dom api`` (their CPU read apart), the 3PL got
    one fulfillment request per order and reported four events for each, and every call
    the integration made is in the tally, none answered with an error."""
    _, figures = benchmark
    assert figures["http_stack"] == "parts"
    http = figures["http"]
    assert http["cpu_ms_per_order"]["api"] > 0 and http["cpu_ms_per_order"]["driver"] > 0
    assert "api" not in figures["stack"]["cpu_ms_per_order"]  # dom up: one process
    placed = ORDERS + WARMUP
    assert http["fulfillment_requests"] - http["repeated_requests"] == placed
    assert http["cancels"] == 0
    answers = http["answers"]
    ok = {
        kind: sum(n for s, n in counts.items() if s.startswith("2"))
        for kind, counts in answers.items()
    }
    # A call resent after a dropped connection may be answered twice (idempotent, both 2xx).
    resent = {kind: counts.get("transport error", 0) for kind, counts in answers.items()}
    placed_answers = answers["orders"].get("202", 0)  # 202 placed; 200 to a resent POST
    assert placed - resent["orders"] <= placed_answers <= placed
    assert 4 * placed <= ok["events"] <= 4 * placed + resent["events"]  # accepted ... shipped
    assert ok["polls"] >= placed  # at least the poll that found each order shipped
    assert http["polls_per_order"] == pytest.approx(
        sum(answers["polls"].values()) / placed, abs=0.01
    )
    for kind, others in http["non_2xx"].items():
        assert others == {s: n for s, n in answers[kind].items() if not s.startswith("2")}
    assert http["errors"] == 0 and http["first_errors"] == []
