"""Check a ``dom simulate`` run's plans: every one valid against the stock it was routed on.

    python benchmarks/check_decisions.py --network N.yaml --orders O.jsonl \\
        [--rules R.yaml] --decisions DIR/runs/lookahead/decisions.jsonl

Replays the decisions in order and checks that each routed order ships exactly its
lines, in at most ``max_packages`` packages, each from a location that may ship and holds
the units beyond its safety stock at that moment. Prints the count and exits 1 on the
first invalid plan.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.models import DeliveryType
from domain.routing.rules import default_rules, load_rules, safety_stock_for
from domain.routing.simulate import load_network_file, load_orders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", type=Path, required=True)
    parser.add_argument("--orders", type=Path, required=True)
    parser.add_argument("--rules", type=Path)
    parser.add_argument("--decisions", type=Path, required=True)
    args = parser.parse_args(argv)
    network = load_network_file(args.network)
    rules = load_rules(args.rules) if args.rules else default_rules()
    orders = {o.order_id: o for o in load_orders(args.orders, network)}
    by_id = {loc.id: loc for loc in network.locations}
    stock = {(loc.id, sku): units for loc in network.locations for sku, units in loc.stock.items()}
    kinds = rules.kinds_allowed(DeliveryType.SHIP, None)
    routed = 0
    for number, line in enumerate(args.decisions.read_text().splitlines(), start=1):
        decision = json.loads(line)
        if decision["status"] != "routed":
            continue
        order = orders[decision["order_id"]]
        wanted: dict[str, int] = {}
        for item in order.lines:
            wanted[item.sku] = wanted.get(item.sku, 0) + item.quantity
        shipped: dict[str, int] = {}
        problems = []
        if len(decision["packages"]) > rules.max_packages_for(order.channel):
            problems.append("too many packages")
        for package in decision["packages"]:
            loc = by_id[package["location_id"]]
            if not loc.active or loc.kind not in kinds:
                problems.append(f"{loc.id} may not ship")
            keep = safety_stock_for(loc, rules)
            for item in package["lines"]:
                key = (loc.id, item["sku"])
                if stock.get(key, 0) - item["quantity"] < keep:
                    problems.append(f"{key} short")
                stock[key] = stock.get(key, 0) - item["quantity"]
                shipped[item["sku"]] = shipped.get(item["sku"], 0) + item["quantity"]
        if shipped != wanted:
            problems.append(f"shipped {shipped}, ordered {wanted}")
        if problems:
            print(f"line {number} ({decision['order_id']}): invalid plan: {'; '.join(problems)}")
            return 1
        routed += 1
    print(f"{args.decisions}: {routed} routed orders, every plan valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
