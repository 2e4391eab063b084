"""``dom loadtest``: many orders through a running stack's API, timed from checkout to
allocated and to shipped, with a progress bar; a figure for capacity planning."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from domain.models import Network
from starter.cli.demo import demo_order
from starter.cli.options import NetworkOpt, admin_token, console, settings_from_flags

FINAL = {"shipped", "picked_up", "cancelled", "failed", "partially_shipped"}
ROUTED = FINAL | {"allocated", "fulfilling", "ready_for_pickup", "backordered"}


def loadtest_command(
    orders: Annotated[int, typer.Option(min=1, help="How many orders to place.")] = 100,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Orders in flight at once (each followed to its end).")
    ] = 10,
    api_url: Annotated[
        str | None,
        typer.Option(help="The running API (default: from DOM_API_HOST and DOM_API_PORT)."),
    ] = None,
    network: NetworkOpt = None,
    token: Annotated[
        str | None,
        typer.Option(help="A token that may place and read orders (default: as `dom demo`)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Make the orders the same every run.")] = None,
) -> None:
    """Place orders against a running stack and report orders per second and latency
    percentiles from checkout to allocated and to shipped."""
    from domain.network_file import demo_network, load_network

    settings = settings_from_flags()
    net = load_network(network) if network else demo_network()
    url = api_url or settings.api_url
    console.print(f"Placing {orders} order(s), {concurrency} at a time, through {url} ...")
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        report = asyncio.run(
            run_load(
                url, net, orders, concurrency,
                token=token or admin_token(settings), seed=seed, progress=progress,
            )
        )  # fmt: skip
    finished = report.finished
    console.print(
        f"{len(finished)}/{orders} orders ended in {report.elapsed:.1f}s: "
        f"[bold]{report.orders_per_second:.2f} orders/s[/]; statuses {report.statuses()}"
    )
    table = Table(title="Latency from checkout (seconds)")
    for column in ("to", "p50", "p90", "p99", "max"):
        table.add_column(column)
    for label, values in (
        ("allocated", [t.allocated for t in report.timings if t.allocated is not None]),
        ("shipped", [t.done for t in finished if t.status == "shipped" and t.done is not None]),
    ):
        cuts = percentiles(values)
        table.add_row(
            label, *(f"{cuts[k]:.3f}" if cuts else "-" for k in ("p50", "p90", "p99", "max"))
        )
    console.print(table)
    if len(finished) < orders:
        raise typer.Exit(1)


@dataclass
class Timing:
    order_id: str
    allocated: float | None = None  # seconds from checkout (routed, or backordered)
    done: float | None = None  # seconds from checkout to a final status
    status: str = "received"


@dataclass
class LoadReport:
    orders: int
    concurrency: int
    elapsed: float
    timings: list[Timing] = field(default_factory=list)

    @property
    def finished(self) -> list[Timing]:
        return [t for t in self.timings if t.done is not None]

    @property
    def orders_per_second(self) -> float:
        return len(self.finished) / self.elapsed if self.elapsed else 0.0

    def statuses(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for t in self.timings:
            counts[t.status] = counts.get(t.status, 0) + 1
        return dict(sorted(counts.items()))


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max of ``values`` (seconds); empty when there are none."""
    if not values:
        return {}
    ordered = sorted(values)
    if len(ordered) == 1:
        cuts = [ordered[0]] * 99
    else:
        cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98], "max": ordered[-1]}


async def run_load(
    api_url: str,
    network: Network,
    orders: int,
    concurrency: int,
    *,
    token: str | None,
    follow_seconds: float = 300.0,
    seed: int | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Place ``orders`` orders, ``concurrency`` at a time, each followed until it ends (or
    ``follow_seconds`` pass); the timings of each."""
    rng = random.Random(seed)
    stamp = time.strftime("%H%M%S")
    bodies = [demo_order(network, rng, f"LOAD-{stamp}-{i + 1:05d}") for i in range(orders)]
    gate = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    task = progress.add_task("orders", total=orders) if progress else None
    limits = httpx.Limits(max_connections=concurrency * 2)
    started = time.monotonic()
    async with httpx.AsyncClient(
        base_url=api_url, timeout=90, headers=headers, limits=limits
    ) as http:

        async def one(body: dict[str, object]) -> Timing:
            async with gate:
                timing = await _place_and_follow(http, body, follow_seconds)
            if progress is not None and task is not None:
                progress.advance(task)
            return timing

        timings = await asyncio.gather(*(one(b) for b in bodies))
    return LoadReport(orders, concurrency, time.monotonic() - started, list(timings))


async def _place_and_follow(
    http: httpx.AsyncClient, body: dict[str, object], follow_seconds: float
) -> Timing:
    order_id = str(body["order_id"])
    timing = Timing(order_id)
    checkout = time.monotonic()
    placed = await polite_request(http, "POST", "/orders", json=body)
    placed.raise_for_status()
    deadline = checkout + follow_seconds
    while time.monotonic() < deadline:
        if timing.allocated is None:
            answer = await polite_request(http, "GET", f"/orders/{order_id}")
        else:  # routed: one long poll for the end instead of polling
            answer = await polite_request(http, "GET", f"/orders/{order_id}", params={"wait": 30})
        if answer.status_code == 404:  # visible a moment after the start
            await asyncio.sleep(0.05)
            continue
        answer.raise_for_status()
        timing.status = answer.json()["status"]
        now = time.monotonic() - checkout
        if timing.allocated is None and timing.status in ROUTED:
            timing.allocated = now
        if timing.status in FINAL:
            timing.done = now
            return timing
        if timing.allocated is None:
            await asyncio.sleep(0.05)
    return timing


async def polite_request(
    http: httpx.AsyncClient, method: str, url: str, **options: Any
) -> httpx.Response:
    """The request, sent again after ``Retry-After`` seconds while the API answers 429
    (its rate limits: a load test at high concurrency polls faster than any real caller)."""
    while True:
        answer = await http.request(method, url, **options)
        if answer.status_code != 429:
            return answer
        await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))
