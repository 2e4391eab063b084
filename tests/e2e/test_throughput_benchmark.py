"""``benchmarks/throughput.py`` still runs end to end: a handful of orders through every
phase, the stack's checked afterwards. Speed is not asserted here (benchmarks report
figures; tests do not time things), only that the script works and measures what it says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_throughput_benchmark_runs_every_phase_and_reports_its_ratios(
    tmp_path: Path,
) -> None:
    out = tmp_path / "figures.json"
    command = [
        sys.executable, str(ROOT / "benchmarks" / "throughput.py"),
        "--orders", "6", "--warmup", "2", "--concurrency", "3", "--rounds", "2",
        "--shaped", "--json", str(out),
    ]  # fmt: skip
    run = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    figures = json.loads(out.read_text())
    for phase in ("bare", "shaped", "stack"):
        assert figures[phase]["orders_per_second"] > 0, phase
        cpu = figures[phase]["cpu_ms_per_order"]
        assert cpu["server"] > 0 and cpu["worker"] > 0, phase
    # Every order on the benchmark network (ample stock everywhere) ships as one package.
    assert figures["stack"]["packages_per_order"] == [1]
    stack, bare, shaped = (figures[p]["orders_per_second"] for p in ("stack", "bare", "shaped"))
    assert figures["ratio"] == pytest.approx(stack / bare, abs=0.01)
    assert figures["ratio_to_shaped"] == pytest.approx(stack / shaped, abs=0.01)
    assert figures["shape_cost"] == pytest.approx(shaped / bare, abs=0.01)
    assert "stack / bare:" in run.stdout and "stack / shaped:" in run.stdout
