"""Crash test: orders through the real stack while its parts are killed, then the books.

The stack runs in parts, as production runs it (crash_stack.py): the Temporal dev server
on a persisted SQLite file, ``dom worker`` and ``dom api`` (one process each), the store
on SQLite or on a fresh PostgreSQL database. Every location is a webhook location played
by this script (``webhook_3pl.py``: it checks each request's key and signature and
reports the package's steps through the API). Checkout is a good integration: it resends
the same body after a 503 (``Retry-After``) or a dropped connection, and keeps trying
while the API is down.

Meanwhile, at random moments of the run (seeded), it SIGKILLs the worker and the API and
starts them again, kills the Temporal server once and restarts it on its database, and
on PostgreSQL stops the database server abruptly (``pg_ctlcluster ... stop -m immediate``)
and starts it again. At the end it checks what the product promises:

* no accepted order lost: every order answered 200/202 exists and ends ``shipped``;
* none stuck, and nothing shipped twice or short (per order, per SKU);
* no package dispatched twice under different idempotency keys (the 3PL keeps the keys);
* every balance equals its start minus what shipped, and nothing stays reserved;
* ``dom inventory check`` is clean.

Prints the figures; exit code 1 on any discrepancy.

    python benchmarks/crash.py --orders 300 --database sqlite
    python benchmarks/crash.py --orders 300 --database postgres
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import webhook_3pl
import yaml
from crash_stack import Stack, fresh_database, postgres_cluster
from harness import AUTH, ROOT
from http_phase import DOM, stock_through_api, webhook_network
from webhook_3pl import Tally, WebhookLocations, send, serving

from domain.models import OrderStatus
from domain.network_file import load_network
from starter.cli.demo import demo_order

SHIPPED = {"shipped", "picked_up"}  # a package's statuses that took its units away


@dataclass
class Run:
    """What the run saw, for the checks at its end."""

    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)  # order id -> the checkout body
    accepted: set[str] = field(default_factory=set)  # answered 200 or 202
    unanswered: dict[str, str] = field(default_factory=dict)  # gave up: placed or not?
    views: dict[str, dict[str, Any]] = field(default_factory=dict)  # order id -> last GET /orders
    started: int = 0
    finished: list[float] = field(default_factory=list)  # when each order was seen final
    chaos: list[str] = field(default_factory=list)  # what was done to the stack, when
    outages: Counter[str] = field(default_factory=Counter)  # kills and stops, by part


# --- the chaos ---------------------------------------------------------------------------


def chaos_plan(args: argparse.Namespace, rng: random.Random) -> list[tuple[int, str]]:
    """(orders started before it, what to do) for every outage, shuffled and spread over
    the first 85% of the run so that orders are in flight when each one happens."""
    actions = (
        ["worker"] * args.worker_kills
        + ["api"] * args.api_kills
        + ["temporal"] * args.temporal_kills
        + ["database"] * args.database_outages
    )
    rng.shuffle(actions)
    span = range(max(1, args.orders // 20), max(2, int(args.orders * 0.85)))
    triggers = sorted(rng.choices(span, k=len(actions)))
    return list(zip(triggers, actions, strict=True))


def outage(stack: Stack, action: str, rng: random.Random, args: argparse.Namespace) -> str:
    """Do ``action`` to the stack and bring it back (blocking); says what was done."""
    began = time.monotonic()
    if action == "database":
        postgres_cluster("stop")
        try:
            time.sleep(args.database_down_seconds)
        finally:  # even on Ctrl-C: the server is shared
            postgres_cluster("start")
    else:
        part = {"worker": stack.worker, "api": stack.api, "temporal": stack.temporal}[action]
        part.kill()
        time.sleep(rng.uniform(0, 1.0) if action != "temporal" else 1.0)
        part.start()
    return f"{action} down {time.monotonic() - began:.1f}s"


async def make_chaos(stack: Stack, run: Run, args: argparse.Namespace, rng: random.Random) -> None:
    """Kill and restart the stack's parts as ``chaos_plan`` says, as the orders go on."""
    for trigger, action in chaos_plan(args, rng):
        while run.started < trigger:  # noqa: ASYNC110 (the count moves many times a second)
            await asyncio.sleep(0.1)
        await asyncio.sleep(rng.uniform(0, 1.0))
        done = await asyncio.to_thread(outage, stack, action, rng, args)
        run.outages[action] += 1
        run.chaos.append(f"after {run.started} orders ({len(run.finished)} done): {done}")
        print(f"  {run.chaos[-1]}", flush=True)


# --- checkout -----------------------------------------------------------------------------


async def place_and_follow(
    http: httpx.AsyncClient, tally: Tally, run: Run, order_id: str, args: argparse.Namespace
) -> None:
    """Place the order (the same body until answered) and read it until it is final."""
    run.started += 1
    try:
        placed = await send(http, tally, "orders", "POST", "/orders", json=run.bodies[order_id])
    except RuntimeError as exc:  # the API never answered: placed or not, the end says
        run.unanswered[order_id] = str(exc)
        return
    if placed.status_code not in (200, 202):
        tally.error(f"POST /orders {order_id}: {placed.status_code} {placed.text[:200]}")
        return
    run.accepted.add(order_id)
    deadline = time.monotonic() + args.order_timeout
    while time.monotonic() < deadline:
        await asyncio.sleep(args.poll_interval)
        with contextlib.suppress(RuntimeError):
            read = await send(http, tally, "polls", "GET", f"/orders/{order_id}")
            if read.status_code == 200:
                run.views[order_id] = read.json()
                if OrderStatus(read.json()["status"]).is_final:
                    run.finished.append(time.monotonic())
                    return


# --- the checks ---------------------------------------------------------------------------


async def final_views(http: httpx.AsyncClient, tally: Tally, run: Run) -> list[str]:
    """Read once more every order the API may hold and that was not seen final (a final
    status does not change; reading a closed order replays its history); what is lost,
    stuck or not shipped."""
    problems = []
    for order_id in sorted(run.accepted | run.unanswered.keys()):
        view = run.views.get(order_id)
        if view is None or not OrderStatus(view["status"]).is_final:
            read = await send(http, tally, "polls", "GET", f"/orders/{order_id}")
            if read.status_code == 404:
                if order_id in run.accepted:
                    problems.append(f"lost: order {order_id} was accepted, GET answers 404")
                continue
            run.accepted.add(order_id)  # its answer was lost, but it was placed
            view = run.views[order_id] = read.raise_for_status().json()
        if not OrderStatus(view["status"]).is_final:
            problems.append(f"stuck: order {order_id} is {view['status']}")
        elif view["status"] != "shipped":
            problems.append(
                f"not shipped: order {order_id} ended {view['status']}: {view.get('reason')}"
            )
    return problems


def units(lines: list[dict[str, Any]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for line in lines:
        total[line["sku"]] += line["quantity"]
    return total


def shipped_units(view: dict[str, Any]) -> Counter[str]:
    total: Counter[str] = Counter()
    for package in view["fulfillments"]:
        if package["status"] in SHIPPED:
            total += units(package["lines"])
    return total


def shipment_problems(run: Run, locations: WebhookLocations) -> list[str]:
    """Packages dispatched twice (two keys) or played twice, orders shipped twice or short."""
    problems = [
        f"dispatched twice: {fid} under keys {sorted(keys)}"
        for fid, keys in sorted(locations.keys.items())
        if len(keys) > 1
    ]
    problems += [
        f"shipped twice: the 3PL reported {fid} shipped {n} times"
        for fid, n in sorted(locations.shipped.items())
        if n > 1
    ]
    problems += [f"given up: {fid}: {why}" for fid, why in sorted(locations.given_up.items())]
    for order_id, view in sorted(run.views.items()):
        ordered, shipped = units(run.bodies[order_id]["lines"]), shipped_units(view)
        if view["status"] == "shipped" and shipped != ordered:
            problems.append(
                f"order {order_id}: shipped {dict(shipped)} for {dict(ordered)} ordered"
            )
        known = {p["fulfillment_id"] for p in view["fulfillments"]}
        for fid in sorted(k for k in locations.keys if k.rsplit("-F", 1)[0] == order_id):
            if fid not in known:
                problems.append(f"order {order_id}: {fid} was dispatched but is not its package")
    return problems


def book_problems(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], run: Run
) -> list[str]:
    """Each balance is its start minus what shipped; nothing is left reserved."""
    shipped: Counter[str] = Counter()
    for view in run.views.values():
        shipped += shipped_units(view)
    problems = []
    for sku, (on_hand, reserved) in sorted(after.items()):
        gone = before[sku][0] - on_hand
        if gone != shipped[sku]:
            problems.append(f"balance: {sku}: {gone} units left on hand, {shipped[sku]} shipped")
        if reserved != before[sku][1]:
            problems.append(f"reserved: {sku}: {reserved} units still reserved")
    return problems


def inventory_check(stack: Stack) -> tuple[bool, str]:
    """``dom inventory check`` against the run's store and Temporal: (clean, its output)."""
    checked = subprocess.run(
        [*DOM, "inventory", "check", "--data-dir", str(stack.data_dir),
         "--temporal-address", stack.temporal_address],
        cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return checked.returncode == 0, (checked.stdout + checked.stderr).strip()


# --- the run -------------------------------------------------------------------------------


def crash_network(source: Path, rng: random.Random, out: Path) -> Path:
    """``source`` with each location holding a random part of the catalogue (every SKU
    somewhere), so that some orders split into several packages."""
    data = yaml.safe_load(source.read_text())
    skus = [s["sku"] for s in data["skus"]]
    for location in data["locations"]:
        location["stock"] = {s: 10_000 for s in skus if rng.random() < 0.6}
    for i, sku in enumerate(skus):  # nothing out of stock everywhere: no order waits
        data["locations"][i % len(data["locations"])]["stock"][sku] = 10_000
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


async def crash_test(args: argparse.Namespace, stack: Stack) -> dict[str, Any]:
    """The whole run on ``stack`` (started here, stopped by the caller): its figures."""
    rng = random.Random(args.seed)
    data_dir = stack.data_dir
    network_file = crash_network(args.network, rng, data_dir / "crash-network.yaml")
    network = load_network(network_file)
    run = Run()
    ids = [f"C{args.seed}-{i:05d}" for i in range(args.orders)]
    run.bodies = {order_id: demo_order(network, rng, order_id) for order_id in ids}
    tally = Tally()
    secret = secrets.token_hex(16)
    limits = httpx.Limits(max_connections=args.concurrency * 2)
    began = time.monotonic()
    async with (
        httpx.AsyncClient(
            base_url=stack.api_url, timeout=30, limits=limits, headers=AUTH
        ) as to_api,
        httpx.AsyncClient(
            base_url=stack.api_url, timeout=30, limits=limits, headers=AUTH
        ) as checkout,
    ):
        locations = WebhookLocations(to_api, tally, secret, args.seed)
        async with serving(locations) as url:
            webhooks = webhook_network(network_file, url, secret, data_dir / "network.yaml")
            await asyncio.to_thread(stack.start, webhooks)
            before = await stock_through_api(checkout, network)
            print(
                f"stack up in {time.monotonic() - began:.0f}s; {args.orders} orders on "
                f"{args.database}; data in {data_dir}",
                flush=True,
            )
            chaos = asyncio.create_task(make_chaos(stack, run, args, rng))
            gate = asyncio.Semaphore(args.concurrency)

            async def one(order_id: str) -> None:
                async with gate:
                    await place_and_follow(checkout, tally, run, order_id, args)

            orders = asyncio.gather(*(one(order_id) for order_id in ids))
            both: set[asyncio.Future[Any]] = {chaos, orders}
            await asyncio.wait(both, return_when=asyncio.FIRST_EXCEPTION)
            if chaos.done() and chaos.exception():  # a part did not come back: stop here
                orders.cancel()
                await asyncio.gather(orders, return_exceptions=True)
            await chaos
            await orders
            print(f"orders done at {time.monotonic() - began:.0f}s; checking", flush=True)
            problems = await final_views(checkout, tally, run)
            await asyncio.sleep(1)  # the last events' answers, before the 3PL is read
            problems += shipment_problems(run, locations)
            problems += book_problems(before, await stock_through_api(checkout, network), run)
        clean, checked = await asyncio.to_thread(inventory_check, stack)
        if not clean:
            problems.append(f"dom inventory check:\n{checked}")
    return figures(args, run, tally, locations, problems, time.monotonic() - began)


def figures(
    args: argparse.Namespace,
    run: Run,
    tally: Tally,
    locations: WebhookLocations,
    problems: list[str],
    seconds: float,
) -> dict[str, Any]:
    packages = sum(len(v["fulfillments"]) for v in run.views.values())
    return {
        "database": args.database,
        "seed": args.seed,
        "seconds": round(seconds),
        "orders": args.orders,
        "accepted": len(run.accepted),
        "shipped": sum(v["status"] == "shipped" for v in run.views.values()),
        "packages": packages,
        "kills": {part: run.outages[part] for part in ("worker", "api", "temporal")},
        "database_outages": run.outages["database"],
        "redeliveries": tally.repeated_requests,
        "duplicates": sum(len(k) > 1 for k in locations.keys.values())
        + sum(n > 1 for n in locations.shipped.values()),
        "discrepancies": len(problems),
        "answers": {kind: dict(sorted(c.items())) for kind, c in tally.answers.items()},
        "unexpected_answers": len(tally.errors),
        "chaos": run.chaos,
        "problems": problems,
        "first_unexpected_answers": tally.errors[:20],
    }


def report(result: dict[str, Any]) -> None:
    kills = result["kills"]
    print(
        f"\n{result['orders']} orders on {result['database']} in {result['seconds']}s: "
        f"{result['accepted']} accepted, {result['shipped']} shipped "
        f"({result['packages']} packages)\n"
        f"kills: worker {kills['worker']}, api {kills['api']}, temporal {kills['temporal']}; "
        f"database outages {result['database_outages']}\n"
        f"redeliveries {result['redeliveries']}, duplicates {result['duplicates']}, "
        f"discrepancies {result['discrepancies']}, "
        f"unexpected answers {result['unexpected_answers']}"
    )
    for kind, answers in result["answers"].items():
        print(f"  {kind}: {answers}")
    for line in result["first_unexpected_answers"]:
        print(f"  UNEXPECTED {line}")
    for problem in result["problems"]:
        print(f"  DISCREPANCY {problem}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--concurrency", type=int, default=12, help="orders in flight at most")
    parser.add_argument("--worker-kills", type=int, default=5)
    parser.add_argument("--api-kills", type=int, default=5)
    parser.add_argument("--temporal-kills", type=int, default=1)
    parser.add_argument(
        "--database-outages", type=int, help="PostgreSQL stops (default: 1 on postgres)"
    )
    parser.add_argument("--database-down-seconds", type=float, default=5.0)
    parser.add_argument("--order-timeout", type=float, default=300.0, help="accepted to final")
    parser.add_argument("--poll-interval", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--network", type=Path, default=Path(__file__).parent / "throughput_network.yaml"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep-data", action="store_true", help="keep the data dir and logs")
    args = parser.parse_args(argv)
    if args.database_outages is None:
        args.database_outages = 1 if args.database == "postgres" else 0
    if args.database_outages and args.database != "postgres":
        parser.error("--database-outages needs --database postgres")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # Ctrl-C and SIGTERM stop the run: every `finally` runs and stops what we started.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.default_int_handler)
    webhook_3pl.RETRY_FOR_SECONDS = args.order_timeout  # a good client keeps trying
    data_dir = Path(tempfile.mkdtemp(prefix="switchyard-crash-"))
    failed = True
    try:
        with fresh_database(args.database, data_dir, args.keep_data) as url:
            stack = Stack(data_dir, url)
            try:
                result = asyncio.run(crash_test(args, stack))
            finally:  # after asyncio.run: no outage is still under way in a thread
                stack.stop()
        report(result)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n")
        failed = bool(result["discrepancies"])
    except KeyboardInterrupt:
        print("\ninterrupted; everything stopped", file=sys.stderr)
        sys.exit(130)
    finally:
        if args.keep_data or failed:
            print(f"data, logs: {data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
