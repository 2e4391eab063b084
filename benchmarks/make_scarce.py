"""A scarce benchmark for ``lookahead``: stock below the demand of the stream, stores thin.

    python benchmarks/make_scarce.py --out bench/scarce          # 65 locations, 20,000 orders
    dom simulate --network bench/scarce/network.yaml --orders bench/scarce/orders.jsonl \\
        --history bench/scarce/history.jsonl --rules bench/scarce/rules.yaml \\
        --policy optimal --policy lookahead --out bench/scarce/sim

Writes ``network.yaml``, ``orders.jsonl`` (the stream to replay), ``history.jsonl``
(earlier orders from the same demand, another seed: what lookahead learns from) and
``rules.yaml``: the built-in rules with ``max_packages`` 5 (``--max-packages``). With
the built-in 3, thin store stock makes some orders unshippable in 3 boxes, and which big
orders that turns away changes which later orders find stock: the count of orders
served then measures that accident, not the routing (docs/routing.md). Each
SKU's stock is scaled so the network holds ``--ratio`` of what the stream orders of it
(0.85 by default): stores keep the generator's thin stock (1-12 units of the popular
third of the catalogue) and the warehouses, 3PLs and suppliers are scaled to the rest.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_orders import make_network, make_orders

from domain.routing.rules import default_rules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=65)
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--ratio", type=float, default=0.85, help="stock / the stream's demand")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-packages", type=int, default=5, help="for rules.yaml")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    network = make_network(args.locations, args.skus, args.seed)
    stream = list(make_orders(network, args.orders, args.seed + 1))
    history = list(make_orders(network, args.orders, args.seed + 2))
    for k, order in enumerate(history):  # distinct ids: these are earlier orders
        order["order_id"] = f"HIST-{k + 1:06d}"
    demand: dict[str, int] = {}
    for order in stream:
        for line in order["lines"]:
            demand[line["sku"]] = demand.get(line["sku"], 0) + line["quantity"]
    # Stores keep the generator's thin stock (1-12 units of the popular third); the deep
    # locations (warehouses, 3PLs, suppliers) are scaled so the network holds ``ratio``
    # of what the stream orders of each SKU.
    in_stores: dict[str, int] = {}
    deep: dict[str, int] = {}
    for loc in network["locations"]:
        into = in_stores if loc["kind"] == "store" else deep
        for sku, units in loc["stock"].items():
            into[sku] = into.get(sku, 0) + units
    for loc in network["locations"]:
        scaled = {}
        for sku, units in loc["stock"].items():
            target = args.ratio * demand.get(sku, 0)
            stores = in_stores.get(sku, 0)
            if loc["kind"] == "store":
                value = units if stores <= target else round(units * target / stores)
            else:
                rest = max(target - stores, 0)
                value = round(units * rest / deep[sku])
            if value:
                scaled[sku] = value
        loc["stock"] = scaled
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "network.yaml").write_text(yaml.safe_dump(network, sort_keys=False, width=120))
    for name, orders in (("orders.jsonl", stream), ("history.jsonl", history)):
        with (args.out / name).open("w") as out:
            for order in orders:
                out.write(json.dumps(order) + "\n")
    rules = default_rules().model_dump(mode="json")
    rules["max_packages"] = args.max_packages
    (args.out / "rules.yaml").write_text(yaml.safe_dump(rules, sort_keys=False))
    total = sum(sum(loc["stock"].values()) for loc in network["locations"])
    print(
        f"wrote {args.out}: {args.locations} locations, {args.orders} orders "
        f"({sum(demand.values())} units), history {len(history)} orders, stock {total} units"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
