"""Orders per second through the whole stack, against a bare Temporal workflow of the same shape.

    python benchmarks/throughput.py [--orders 500] [--concurrency 32] [--warmup 50]
                                    [--rounds 1] [--no-shaped] [--no-http]
                                    [--http-stack parts|up] [--poll-interval 0.5]
                                    [--json FILE]

Issue 3's speed bar: the stack should run at 80% or more of the bare workflow's rate;
issue 10's: through HTTP, as integrations use it, at 50% or more. The choices that make
the figures comparable (see docs/performance.md for the results):

* One server for all. This script starts ``EmbeddedTemporal``, the dev server exactly as
  ``dom up`` starts it (SQLite file in a temporary data dir, WAL pragmas, UI on), once, and
  every phase runs against it.
* The stack is ``dom up`` itself, in a subprocess pointed at that server by
  ``DOM_TEMPORAL_ADDRESS``: the CLI, settings, logging and the one process holding the API
  and the worker that users run. (``run_stack`` in this process would share the driver's
  event loop and GIL with the worker and the API, a layout nobody runs.) Orders enter over
  real HTTP (``POST /orders``) and go allocate -> a package inside the order -> dispatch ->
  the simulated location reports accepted, picked, packed, shipped (four updates) ->
  commit. The network (benchmarks/throughput_network.yaml) is the demo's, with ample stock
  everywhere and zero simulator delays, so the time measured is the machinery's.
* The bare workflow is the least a workflow of the same shape can cost: three no-op
  activities (two plain functions run in the thread pool, like ``allocate`` and
  ``commit_shipment``, one coroutine, like ``dispatch_fulfillment``) and three signals the
  driver sends right after starting it. Its worker is a subprocess too, with the stack's
  worker settings: the same sandbox (``workflows.runner.workflow_runner``), the same data
  converter, the same activity thread pool and ``max_concurrent_activities``, on its own
  task queue (bare_workflows.py).
* A third phase (on by default; ``--no-shaped`` skips it) runs, on the bare worker, the
  same no-op activities in the stack's shape: one workflow per order, its package's four
  location events updates on it sent from the worker process, as the simulator sends them.
  Between bare and stack, it separates what the shape costs on Temporal from what
  Switchyard's own code costs.
* The driver (this process) is the same in the bare, shaped and stack phases: at most
  ``--concurrency`` orders in flight, each awaited through a Temporal client
  (``handle.result()``: one long poll for the close event per order, identical in these
  phases) rather than by polling
  ``GET /orders``, which would add API and query load of the driver's making. After the
  last round, a few orders are read back through ``GET /orders`` and the inventory is
  checked through ``GET /inventory`` (untimed): every unit ordered has left on-hand stock
  and nothing stays reserved.
* The HTTP phase (on by default; ``--no-http`` skips it; http_phase.py, webhook_3pl.py)
  runs the stack as a 3PL integration uses it. Every location of the benchmark network
  becomes a signed webhook location (the network file is generated into the data dir,
  pointing at a server this script runs on a free port), and this script plays them: it
  checks each fulfillment request's ``Idempotency-Key`` and HMAC signature, answers
  200, and only then reports accepted, picked, packed and shipped through
  ``POST /locations/{id}/fulfillments/{fid}/events``, each with an ``event_id``. Orders
  enter with ``POST /orders``; their end is read by polling ``GET /orders/{id}`` every
  ``--poll-interval`` seconds (so latency is rounded up to the next poll, and the polls'
  load on the API and the worker is part of the cost). The stack runs in parts, as in
  production (``dom load-network``, then ``dom worker`` and ``dom api``, one process
  each, on a SQLite file of their own and a task queue of their own), so the CPU of the
  worker and of the API are read apart; ``--http-stack up`` runs ``dom up`` instead. In
  parts, orders start without eager workflow start (``dom up`` gets it because its API
  and worker share one client). The clients behave as a good integration does: a 503 is
  retried after its ``Retry-After``, a transport error or a 5xx after a short back-off
  (every call is idempotent: ``order_id``, ``event_id``). Every answer is tallied by
  endpoint and status (orders, events, polls; warm-up included) and printed; a 409 or a
  500 to one of these valid events is printed as an ERROR, counted in the JSON, and
  makes the script exit 1 once the figures are out (it is retried all the same, so the
  run finishes: a 3PL that believed the 409 would drop the event and the order would
  time out). Afterwards, as for the in-process stack, every shipped package must show
  the tracking number the 3PL reported and the books must balance.
* ``--warmup`` orders run first in each phase and are not counted (imports, sandbox,
  connection pools, SQLite caches). The rate is measured orders over the time from a
  round's first order's start to its last one's end (summed over rounds); latency is per
  order, from the request leaving the driver to the result arriving (in the HTTP phase,
  to the poll that finds the order shipped).
* CPU seconds of the server, the phase's worker process (for the HTTP phase in parts,
  ``dom worker`` and ``dom api`` apart) and the driver (in the HTTP phase: the checkout
  and the webhook locations) over the measured rounds (from /proc, Linux only) are
  printed per order: on a 2-core machine that is busy all the time, the ratio of the
  rates follows the ratio of the CPU an order costs. The
  CPU the rest of the machine used meanwhile is printed too ("other load", in cores; it
  includes the idle phase's worker, whose pollers cost next to nothing): a figure taken
  while someone else's tests ran is not comparable with one taken on a quiet machine.
* Every phase's processes stay up for the whole run. ``--rounds R`` splits the measured
  orders into R rounds that alternate bare, stack, http, shaped, bare, stack..., so that
  load from elsewhere on a shared machine falls on every phase alike; the default, one
  round, runs the bare phase and then the others (``--first stack`` swaps bare and stack;
  later phases run on a server database that already holds the earlier ones' histories).

Every process this script starts is stopped on exit, Ctrl-C or SIGTERM included, and the
temporary data dir is removed (``--keep-data`` keeps it, for the logs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from bare_workflows import (
    BARE_SIGNALS,
    BARE_TASK_QUEUE,
    BareOrder,
    BareShapedOrder,
    run_bare_worker,
)
from figures import Batch, Phase, Place, report

if TYPE_CHECKING:
    from temporalio.client import Client

# --- processes --------------------------------------------------------------------------


def here() -> Path:
    """This script's folder."""
    return Path(__file__).resolve().parent


def worker_env(args: argparse.Namespace, data_dir: Path, **extra: str) -> dict[str, str]:
    """The workers' environment: ours, with Python's bytecode cache on unless told otherwise.

    The sandbox re-imports the workflow modules for every workflow it starts; without
    cached bytecode (PYTHONDONTWRITEBYTECODE=1, common in container images) it compiles
    them from source each time, which the stack (two workflows per order) pays twice.
    The cache goes to the data dir, not into the source tree.
    """
    from harness import STACK_ENV

    env = {**os.environ, **STACK_ENV, **extra}
    if args.bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(data_dir / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process (all its threads) so far; 0 when unknown."""
    if pid is None:
        return time.process_time()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has spent so far (Linux; 0 elsewhere)."""
    try:
        ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def child_pid(needle: str) -> int | None:
    """The pid of our child process whose command line contains ``needle`` (Linux)."""
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and needle in cmdline:
            return int(entry.name)
    return None


# --- the driver -------------------------------------------------------------------------


async def run_batch(ids: list[str], concurrency: int, place: Place, into: Batch | None) -> None:
    """Place every order, never more than ``concurrency`` at once, and await each to the end."""
    gate = asyncio.Semaphore(concurrency)

    async def one(order_id: str) -> None:
        async with gate:
            start = time.perf_counter()
            outcome = await place(order_id)
            if into is not None:
                into.spans.append((start, time.perf_counter()))
                into.outcomes.append(outcome)

    await asyncio.gather(*(one(order_id) for order_id in ids))


async def measure(
    phase: Phase, ids: list[str], args: argparse.Namespace, server_pid: int | None
) -> None:
    """Time one round of ``phase``, with the CPU each process spent on it."""
    pids = {"server": server_pid, **phase.pids, "driver": None}
    before = {who: cpu_seconds(pid) for who, pid in pids.items()}
    busy_before = machine_busy_seconds()
    batch = phase.batch
    first = len(batch.spans)
    await run_batch(ids, args.concurrency, phase.place, batch)
    spans = batch.spans[first:]
    window = max(end for _, end in spans) - min(start for start, _ in spans)
    batch.seconds += window
    cpu = {who: cpu_seconds(pid) - before[who] for who, pid in pids.items()}
    for who, seconds in cpu.items():
        batch.cpu[who] = batch.cpu.get(who, 0.0) + seconds
    # Whatever else ran meanwhile (the idle worker, other people's tests) skews the figures.
    batch.other_cpu += max(0.0, machine_busy_seconds() - busy_before - sum(cpu.values()))
    unfinished = [o for o in batch.outcomes[first:] if o[0] != "shipped"]
    if unfinished:
        raise RuntimeError(f"{phase.name}: {len(unfinished)} orders did not ship: {unfinished[:5]}")


@contextlib.asynccontextmanager
async def bare_phases(
    client: Client, args: argparse.Namespace, data_dir: Path
) -> AsyncIterator[tuple[Phase, Phase]]:
    """The bare workflows' worker, running for as long as the block: (bare, shaped)."""
    from harness import running

    ready = data_dir / "bare-worker.ready"
    command = [
        sys.executable, str(here() / "throughput.py"), "--bare-worker",
        "--temporal-address", args.temporal_address, "--ready-file", str(ready),
    ]  # fmt: skip
    env = worker_env(args, data_dir)
    with running(command, data_dir / "bare-worker.log", ready=ready.exists, env=env) as worker:

        async def place(order_id: str) -> tuple[str, int]:
            handle = await client.start_workflow(
                BareOrder.run, order_id, id=f"bare-{order_id}", task_queue=BARE_TASK_QUEUE
            )
            for event in BARE_SIGNALS:
                await handle.signal(BareOrder.location_event, event)
            return await handle.result(), 1

        async def place_shaped(order_id: str) -> tuple[str, int]:
            handle = await client.start_workflow(
                BareShapedOrder.run,
                order_id,
                id=f"shaped-{order_id}",
                task_queue=BARE_TASK_QUEUE,
            )
            return await handle.result(), 1

        pids = {"worker": worker.pid}
        yield Phase("bare", pids, place), Phase("shaped", pids, place_shaped)


async def _post_order(http: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    """``POST /orders``, sent again (it is idempotent by ``order_id``) if the connection
    drops: a pooled keep-alive connection can be closed by the server as it is reused."""
    for attempt in range(3):
        try:
            response = await http.post("/orders", json=body)
        except httpx.TransportError as exc:
            if attempt == 2:
                raise
            print(f"POST /orders {body['order_id']}: {exc!r}; sending it again", flush=True)
            continue
        # 200: a repeat of an order the dropped connection had already placed.
        if response.status_code not in (202, 200):
            raise RuntimeError(f"POST /orders: {response.status_code} {response.text}")
        return response
    raise AssertionError("unreachable")


@contextlib.asynccontextmanager
async def stack_phase(
    client: Client, args: argparse.Namespace, data_dir: Path
) -> AsyncIterator[Phase]:
    """``dom up`` on the benchmark network, running for as long as the block; checked at the end."""
    from harness import AUTH, http_ok, running
    from http_phase import check_books, stock_through_api

    from domain.ids import order_workflow_id
    from domain.network_file import load_network
    from starter.bootstrap.dev_server import free_port
    from starter.cli.demo import demo_order

    network = load_network(args.network)
    rng = random.Random(args.seed)
    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    command = [
        sys.executable, "-m", "starter.cli", "up",
        "--network", str(args.network),
        "--data-dir", str(data_dir / "stack"),
        "--api-port", str(api_port),
    ]  # fmt: skip
    env = worker_env(args, data_dir, DOM_TEMPORAL_ADDRESS=args.temporal_address)
    ordered: dict[str, int] = {}
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=None)
    with running(
        command, data_dir / "dom-up.log", ready=lambda: http_ok(f"{api_url}/health"), env=env
    ) as stack:
        async with httpx.AsyncClient(
            base_url=api_url, timeout=120, limits=limits, headers=AUTH
        ) as http:

            async def place(order_id: str) -> tuple[str, int]:
                body = demo_order(network, rng, order_id)
                for line in body["lines"]:  # type: ignore[attr-defined]
                    ordered[line["sku"]] = ordered.get(line["sku"], 0) + line["quantity"]
                await _post_order(http, body)
                view = await client.get_workflow_handle(order_workflow_id(order_id)).result()
                return view["status"], len(view["fulfillments"])

            before = await stock_through_api(http, network)
            yield Phase("stack", {"worker": stack.pid}, place)
            await check_books(http, args, "stack", before, ordered, network)


@contextlib.asynccontextmanager
async def http_stack_phase(args: argparse.Namespace, data_dir: Path) -> AsyncIterator[Phase]:
    """The stack through HTTP, its locations webhooks played by this script (http_phase.py)."""
    import http_phase as http

    env = worker_env(args, data_dir)
    async with http.http_phase(args, data_dir, env) as phase:
        yield Phase("http", phase.pids, phase.place, phase.tally)


# --- the run ----------------------------------------------------------------------------


async def run_phases(
    args: argparse.Namespace, data_dir: Path, server_pid: int | None
) -> dict[str, Phase]:
    """Warm every phase up, then alternate them round by round on the one server."""
    from starter.bootstrap.keys import load_keys
    from starter.bootstrap.settings import Settings
    from starter.bootstrap.temporal import connect_when_ready

    keys = load_keys(Settings()).encryption
    client = await connect_when_ready(args.temporal_address, "default", keys=keys)
    async with contextlib.AsyncExitStack() as running_phases:
        print("starting the bare worker and dom up ...", flush=True)
        bare, shaped = await running_phases.enter_async_context(bare_phases(client, args, data_dir))
        stack = await running_phases.enter_async_context(stack_phase(client, args, data_dir))
        phases = [bare, stack] if args.first == "bare" else [stack, bare]
        if args.http:
            how = "dom worker + dom api" if args.http_stack == "parts" else "dom up"
            print(f"starting the webhook locations and {how} for the HTTP phase ...", flush=True)
            phases.append(
                await running_phases.enter_async_context(http_stack_phase(args, data_dir))
            )
        if args.shaped:
            phases.append(shaped)
        for phase in phases:
            print(f"{phase.name}: {args.warmup} warm-up orders ...", flush=True)
            ids = [f"{args.run_id}-{phase.name}-W{i:05d}" for i in range(args.warmup)]
            await run_batch(ids, args.concurrency, phase.place, None)
        share = -(-args.orders // args.rounds)
        for round_ in range(args.rounds):
            numbers = range(round_ * share, min(args.orders, (round_ + 1) * share))
            for phase in phases:
                print(f"{phase.name}: {len(numbers)} orders ...", flush=True)
                ids = [f"{args.run_id}-{phase.name}-{i:05d}" for i in numbers]
                await measure(phase, ids, args, server_pid)
    return {phase.name: phase for phase in sorted(phases, key=lambda p: p.name)}


def main() -> None:
    args = parse_args()
    if args.bare_worker:
        from starter.bootstrap.loop import (
            run as run_on_loop,  # the stack's event loop, as dom worker
        )

        run_on_loop(run_bare_worker(args.temporal_address, args.ready_file))
        return
    from starter.bootstrap.dev_server import EmbeddedTemporal, free_port
    from starter.bootstrap.keys import fresh_environment

    # One set of keys for the run, inherited by every process it starts (as a production
    # stack shares them): the driver, the bare worker, dom up, dom worker and dom api.
    os.environ.update(fresh_environment())
    # Ctrl-C and SIGTERM stop the run (even where a shell started us with SIGINT ignored):
    # the phase is cancelled, every `finally` runs, and each process we started is stopped.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.default_int_handler)
    data_dir = Path(tempfile.mkdtemp(prefix="switchyard-bench-"))
    port = free_port(with_ui=True)
    temporal = EmbeddedTemporal(data_dir / "temporal", port)
    args.temporal_address = temporal.address
    args.run_id = f"B{int(time.time())}"
    try:
        temporal.start()
        # The driver on the stack's event loop too: it shares the two cores with what it
        # measures, so the less it spends per request, the less it skews the HTTP phase.
        from starter.bootstrap.loop import run as run_on_loop

        phases = run_on_loop(run_phases(args, data_dir, child_pid("start-dev")))
        summary = report(phases, args)
        if args.json:
            args.json.write_text(json.dumps(summary, indent=2) + "\n")
        errors = summary.get("http", {}).get("errors", 0)
        if errors:
            print(f"\n{errors} error(s): see ERRORS above", file=sys.stderr)
            sys.exit(1)
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted; stopping everything", file=sys.stderr)
        sys.exit(130)
    finally:
        temporal.stop()
        if args.keep_data:
            print(f"data, logs: {data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=500, help="measured orders per phase")
    parser.add_argument("--warmup", type=int, default=50, help="uncounted orders first")
    parser.add_argument("--concurrency", type=int, default=32, help="orders in flight at most")
    parser.add_argument("--first", choices=["bare", "stack"], default="bare")
    parser.add_argument(
        "--shaped",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run no-op workflows of the stack's shape (child workflow, four updates); "
        "on by default",
    )
    parser.add_argument(
        "--http",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the stack through HTTP with webhook locations played by this script; "
        "on by default",
    )
    parser.add_argument(
        "--http-stack",
        choices=["parts", "up"],
        default="parts",
        help="the HTTP phase's stack: dom worker and dom api apart (CPU of each), or dom up",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=0.5,
        help="seconds between the HTTP phase's GET /orders/{id} of an order in flight",
    )
    parser.add_argument(
        "--poll-wait",
        type=float,
        default=0,
        help="HTTP phase: read completion with GET /orders/{id}?wait=S (one long poll) "
        "instead of polling every --poll-interval",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="split the orders into this many rounds, alternating the phases",
    )
    parser.add_argument("--network", type=Path, default=here() / "throughput_network.yaml")
    parser.add_argument(
        "--no-bytecode-cache",
        dest="bytecode_cache",
        action="store_false",
        help="run the workers with PYTHONDONTWRITEBYTECODE=1, as many container images do",
    )
    parser.add_argument("--seed", type=int, default=1, help="of the demo orders' contents")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep-data", action="store_true", help="keep the data dir and logs")
    parser.add_argument("--bare-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--temporal-address", help=argparse.SUPPRESS)
    parser.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.orders, args.concurrency, args.rounds) < 1 or args.warmup < 0:
        parser.error("--orders, --concurrency and --rounds must be at least 1, --warmup 0 or more")
    if args.poll_interval <= 0:
        parser.error("--poll-interval must be positive")
    if args.rounds > args.orders:
        parser.error("--rounds cannot exceed --orders")
    return args


if __name__ == "__main__":
    main()
