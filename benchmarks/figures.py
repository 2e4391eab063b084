"""What the throughput benchmark measured, and how it prints it.

A ``Phase`` is one side of the comparison (its processes, how it takes an order to the
end); its ``Batch`` collects the measured orders' timings and the CPU each process spent
on them. ``report`` prints the table, the ratios against the bare workflow and, for the
HTTP phase, what its clients saw; it returns the same figures for ``--json``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from harness import ROOT
from webhook_3pl import Tally


class Batch:
    """Timings of one phase's measured orders: (start, end) per order, what each ended as."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []
        self.outcomes: list[tuple[str, int]] = []  # (final status, packages)
        self.seconds = 0.0  # the rounds' windows, first start to last end, added up
        self.cpu: dict[str, float] = {}  # CPU seconds by role: server, worker, api, driver
        self.other_cpu = 0.0

    @property
    def rate(self) -> float:
        return len(self.spans) / self.seconds

    @property
    def other_cores(self) -> float:
        return self.other_cpu / self.seconds

    def latency_ms(self, percentile: int) -> float:
        latencies = sorted((end - start) * 1000 for start, end in self.spans)
        if len(latencies) == 1:
            return latencies[0]
        return statistics.quantiles(latencies, n=100, method="inclusive")[percentile - 1]


Place = Callable[[str], Awaitable[tuple[str, int]]]


class Phase:
    """One side of the comparison: its processes and how it takes an order to the end."""

    def __init__(
        self, name: str, pids: dict[str, int], place: Place, tally: Tally | None = None
    ) -> None:
        self.name = name
        self.pids = pids  # by role: "worker" (and "api" when it runs apart)
        self.place = place
        self.tally = tally  # the HTTP phase's answers by status (webhook_3pl.Tally)
        self.batch = Batch()


def machine() -> str:
    temporal = subprocess.run(
        [str(_temporal_cli()), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    from importlib.metadata import version

    return (
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, temporalio {version('temporalio')}, "
        f"{temporal.removeprefix('temporal version ')}, commit {commit or '?'}"
        + (" (with uncommitted changes)" if dirty else "")
    )


def _temporal_cli() -> Path:
    from starter.bootstrap.temporal import temporal_cli_path

    return temporal_cli_path()


CPU_ROLES = ("server", "worker", "api", "driver")


def report(phases: dict[str, Phase], args: argparse.Namespace) -> dict[str, Any]:
    """Print the figures, and return them for ``--json``."""
    print(
        f"\n{args.orders} orders per phase in {args.rounds} round(s) (+{args.warmup} warm-up), "
        f"at most {args.concurrency} in flight, bytecode cache "
        f"{'on' if args.bytecode_cache else 'off'}\n{machine()}\n"
    )
    print(
        f"{'':6} {'orders/s':>9} {'seconds':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}"
        f"   CPU ms per order: {'server':>7} {'worker':>7} {'api':>7} {'driver':>7} {'total':>7}"
        f"   other load (cores)"
    )
    summary: dict[str, Any] = {}
    batches = {name: phase.batch for name, phase in phases.items()}
    for name, batch in batches.items():
        cpu = {who: 1000 * s / args.orders for who, s in batch.cpu.items()}
        columns = " ".join(f"{cpu[who]:7.1f}" if who in cpu else f"{'-':>7}" for who in CPU_ROLES)
        packages = sorted({p for _, p in batch.outcomes})
        print(
            f"{name:6} {batch.rate:9.1f} {batch.seconds:8.1f} {batch.latency_ms(50):8.0f} "
            f"{batch.latency_ms(90):8.0f} {batch.latency_ms(99):8.0f}{'':21}{columns} "
            f"{sum(cpu.values()):7.1f}   {batch.other_cores:.2f}"
        )
        summary[name] = {
            "orders_per_second": round(batch.rate, 2),
            "seconds": round(batch.seconds, 2),
            "p50_ms": round(batch.latency_ms(50)),
            "p90_ms": round(batch.latency_ms(90)),
            "p99_ms": round(batch.latency_ms(99)),
            "cpu_ms_per_order": {who: round(ms, 1) for who, ms in cpu.items()},
            "packages_per_order": packages,
            "other_load_cores": round(batch.other_cores, 2),
        }
    print(
        "\nworker: the phase's worker process; for stack"
        + (" and http (--http-stack up)" if args.http_stack == "up" else "")
        + " that is dom up, the worker and the API in one process. driver: this script"
        + (" (for http: the checkout and the webhook locations)." if args.http else ".")
    )
    ratio = batches["stack"].rate / batches["bare"].rate
    verdict = "met" if ratio >= 0.8 else "NOT met"
    print(f"\nstack / bare: {ratio:.2f} (target 0.80: {verdict})")
    if "http" in phases:
        http_ratio = batches["http"].rate / batches["bare"].rate
        verdict = "met" if http_ratio >= 0.5 else "NOT met"
        print(f"http / bare: {http_ratio:.2f} (target 0.50: {verdict})")
        # The same comparison in CPU, leaving out the driver (the outside world, which
        # would run elsewhere): Temporal and Switchyard's processes per order, http
        # (server, worker, API) against bare (server, worker).
        own = {
            name: sum(ms for who, ms in batches[name].cpu.items() if who != "driver")
            for name in ("bare", "http")
        }
        cpu_ratio = own["bare"] / own["http"] if own["http"] else 0.0
        print(f"http / bare in CPU per order without the driver: {cpu_ratio:.2f}")
        summary.update(
            http_ratio=round(http_ratio, 3),
            http_cpu_ratio=round(cpu_ratio, 3),
            http_stack=args.http_stack,
        )
    if "shaped" in batches:
        shaped = batches["shaped"].rate
        print(
            f"shaped / bare: {shaped / batches['bare'].rate:.2f} (what the stack's shape costs)\n"
            f"stack / shaped: {batches['stack'].rate / shaped:.2f} (what Switchyard adds to it)"
        )
        summary.update(
            shape_cost=round(shaped / batches["bare"].rate, 3),
            ratio_to_shaped=round(batches["stack"].rate / shaped, 3),
        )
    summary.update(
        ratio=round(ratio, 3),
        orders=args.orders,
        warmup=args.warmup,
        rounds=args.rounds,
        concurrency=args.concurrency,
        bytecode_cache=args.bytecode_cache,
        machine=machine(),
    )
    if "http" in phases:
        summary["http"].update(_http_figures(phases["http"], args))
        summary.update(poll_interval=args.poll_interval, poll_wait=args.poll_wait)
    return summary


def _http_figures(phase: Phase, args: argparse.Namespace) -> dict[str, object]:
    """Print and return what the HTTP phase's clients saw (warm-up orders included)."""
    tally = phase.tally
    assert tally is not None, "only the HTTP phase keeps a tally"
    placed = args.orders + args.warmup
    polls = sum(tally.answers["polls"].values())
    print(
        f"\nhttp, {placed} orders (warm-up included): {polls / placed:.1f} polls per order, "
        f"{tally.requests_received} fulfillment requests received "
        f"({tally.repeated_requests} repeated), {tally.cancels_received} cancels"
    )
    for endpoint in ("orders", "events", "polls"):
        answers = tally.answers[endpoint]
        others = tally.non_2xx(endpoint)
        print(
            f"  {endpoint:6} {sum(answers.values()):6} answers in "
            f"{tally.answer_ms(endpoint, 50):.0f}/{tally.answer_ms(endpoint, 99):.0f} ms "
            "(p50/p99), non-2xx: "
            + (", ".join(f"{n} x {status}" for status, n in others.items()) or "none")
        )
    if tally.retry_after_waited:
        print(f"  {tally.retry_after_waited:.1f} s spent waiting as Retry-After asked")
    for retried in tally.retried[:3]:
        print(f"  retried: {retried}")
    if tally.errors:
        print(f"ERRORS ({len(tally.errors)}): answers a valid call should never get")
        for error in tally.errors[:10]:
            print(f"  {error}")
    return {
        **tally.as_json(),
        "polls_per_order": round(polls / placed, 2),
        "non_2xx": {endpoint: tally.non_2xx(endpoint) for endpoint in tally.answers},
    }
