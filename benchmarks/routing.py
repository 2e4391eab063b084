"""Routing latency: route() per order on seeded US networks (65 and 500 locations by default).

    python benchmarks/routing.py                     # both sizes, default order counts
    python benchmarks/routing.py --sizes 65 --orders 5000
    python benchmarks/routing.py --keep-stock 0.2 --min-lines 3   # split-heavy stress

Each run generates (seeded) a network with 200 SKUs at real ZIP codes and a stream of
1-5 line orders (``make_orders.py``), then routes the orders in turn with the built-in
rules, DEPLETING the stock by each winning plan as it goes (as production would), and
prints the time of the ``route()`` call alone per decision: median, p90, p99 and max, in
milliseconds of wall-clock time, with the routing thread's CPU time beside it (on a
shared machine the difference is time spent waiting for a core), the load average, and
the p99 of the decisions that split. Decisions include the alternatives (every single
location that could ship alone, up to the rules' max_alternatives, and the best split)
and the explanation. ``--policy lookahead`` first computes prices once (not timed), from
5,000 orders of a different seed, as the background job would.
Speed bar: 65 locations p50 < 1 ms and p99 < 5 ms; 2,000 locations p50 < 2 ms and
p99 < 10 ms, for optimal and lookahead.

    python benchmarks/routing.py --sizes 2000 --orders 500 --policy lookahead
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import percentile
from make_orders import make_network, make_orders

from domain.checkout import OrderRequest
from domain.geo import zip_point
from domain.models import Network
from domain.routing import RoutingLine, RoutingRequest, Rules, default_rules, route
from domain.routing.engine import POLICIES, Policy
from domain.routing.prices import DemandForecast, compute_prices
from domain.routing.simulate import routing_request


def run(
    size: int,
    orders: int,
    seed: int,
    policy: Policy,
    keep_stock: float = 1.0,
    min_lines: int = 1,
    rules: Rules | None = None,
) -> dict[str, float]:
    data = make_network(size, 200, seed)
    if keep_stock < 1.0:  # a stress test: thin assortments force splits into 2-3 packages
        thin = random.Random(seed)
        for loc in data["locations"]:
            loc["stock"] = {k: v for k, v in loc["stock"].items() if thin.random() < keep_stock}
    network = Network.model_validate(data)
    stock: dict[str, dict[str, int]] = {}
    for loc in network.locations:
        for sku, units in loc.stock.items():
            stock.setdefault(sku, {})[loc.id] = units
    requests = []
    for body in make_orders(network.model_dump(), orders, seed + 1):
        order = OrderRequest.model_validate(body)
        if len(order.lines) < min_lines:
            continue
        point = zip_point(order.ship_to.postal_code)
        requests.append(
            RoutingRequest(
                order_id=order.order_id,
                dest_lat=point.lat,
                dest_lon=point.lon,
                lines=[RoutingLine(sku=line.sku, quantity=line.quantity) for line in order.lines],
                service_level=order.service_level,
            )
        )
    prices = None
    if policy == "lookahead":  # what the background job would have computed, once
        history = make_orders(network.model_dump(), 5000, seed + 2)
        forecast = DemandForecast.from_requests(
            (routing_request(OrderRequest.model_validate(b)) for b in history),
            region_degrees=(rules or default_rules()).lookahead.region_degrees,
        )
        started = time.perf_counter()
        prices = compute_prices(network, stock, forecast, rules or default_rules(), len(requests))
        print(f"  ({size} locations: prices computed in {time.perf_counter() - started:.1f} s)")
    route(requests[0], network, stock, rules, policy=policy, prices=prices)  # warm: the caches
    # What a long-running worker does after loading: move the start-up heap (the ZIP
    # index, the network) out of the collector's way, so a full collection does not
    # land inside one decision.
    gc.collect()
    gc.freeze()
    wall: list[float] = []
    cpu: list[float] = []
    split_wall: list[float] = []
    routed = 0
    for req in requests:
        start, start_cpu = time.perf_counter(), time.thread_time()
        decision = route(req, network, stock, rules, policy=policy, prices=prices)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        if decision.plan is not None:
            routed += 1
            if len(decision.plan.packages) > 1:
                split_wall.append(wall[-1])
            for package in decision.plan.packages:
                for line in package.lines:
                    stock[line.sku][package.location_id] -= line.quantity
    gc.unfreeze()
    wall.sort()
    cpu.sort()
    split_wall.sort()
    return {
        "p50": percentile(wall, 50),
        "p90": percentile(wall, 90),
        "p99": percentile(wall, 99),
        "max": wall[-1],
        "mean": statistics.fmean(wall),
        "cpu_p50": percentile(cpu, 50),
        "cpu_p99": percentile(cpu, 99),
        "split_p99": percentile(split_wall, 99) if split_wall else 0.0,
        "routed": routed,
        "split": len(split_wall),
        "orders": len(requests),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[65, 500])
    parser.add_argument("--orders", type=int, default=0, help="default: 5000 (65), 2000 (500)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--policy", choices=POLICIES, default="optimal")
    parser.add_argument(
        "--keep-stock", type=float, default=1.0, help="stress: keep this share of stock entries"
    )
    parser.add_argument("--min-lines", type=int, default=1, help="stress: skip smaller orders")
    parser.add_argument(
        "--region-degrees", type=float, default=None, help="lookahead: demand region size"
    )
    parser.add_argument(
        "--max-alternatives",
        type=int,
        default=None,
        help="the rules' max_alternatives (default: the built-in 10)",
    )
    args = parser.parse_args(argv)
    rules = default_rules()
    if args.max_alternatives is not None:
        rules = rules.model_copy(update={"max_alternatives": args.max_alternatives})
    if args.region_degrees is not None:
        rules = rules.model_copy(
            update={"lookahead": rules.lookahead.model_copy(
                update={"region_degrees": args.region_degrees})}
        )  # fmt: skip
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"policy {args.policy}, max_alternatives {rules.max_alternatives}, "
        f"{os.cpu_count()} CPUs, load average {load}"
    )
    print("wall-clock ms per decision (cpu: the routing thread's CPU time)")
    print(
        f"{'locations':>9} {'orders':>6} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7} "
        f"{'cpu p50':>7} {'cpu p99':>7} {'routed':>6} {'split':>5} {'split p99':>9}"
    )
    for size in args.sizes:
        n = args.orders or (5000 if size <= 100 else 2000)
        r = run(size, n, args.seed, args.policy, args.keep_stock, args.min_lines, rules)
        print(
            f"{size:>9} {r['orders']:>6} {r['p50']:>7.3f} {r['p90']:>7.3f} {r['p99']:>7.3f} "
            f"{r['max']:>7.2f} {r['cpu_p50']:>7.3f} {r['cpu_p99']:>7.3f} {r['routed']:>6} "
            f"{r['split']:>5} {r['split_p99']:>9.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
