"""Generate a seeded, realistic US network and order stream for benchmarks and ``dom simulate``.

    python benchmarks/make_orders.py network --locations 65 --skus 200 --out network.yaml
    python benchmarks/make_orders.py network --locations 65 --ample --out ample.yaml
    python benchmarks/make_orders.py orders --network network.yaml --n 20000 --out orders.jsonl

Locations sit at real ZIP codes near 60 US metros (stores by population, warehouses and
3PLs in logistics hubs); customers are mostly in metros, the rest anywhere in the lower 48.
Orders have 1 to 5 lines of popular-skewed SKUs and are shaped like the checkout API body.
``--ample`` multiplies every stock level by 1,000 so no replay ever runs a location dry.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from starter.cli.demo import sample_address

# (metro, latitude, longitude, population in millions), largest US metros.
METROS: list[tuple[str, float, float, float]] = [
    ("New York", 40.71, -74.01, 19.6), ("Los Angeles", 34.05, -118.24, 12.9),
    ("Chicago", 41.88, -87.63, 9.4), ("Dallas", 32.78, -96.80, 7.9),
    ("Houston", 29.76, -95.37, 7.3), ("Washington", 38.91, -77.04, 6.3),
    ("Philadelphia", 39.95, -75.17, 6.2), ("Miami", 25.76, -80.19, 6.1),
    ("Atlanta", 33.75, -84.39, 6.2), ("Boston", 42.36, -71.06, 4.9),
    ("Phoenix", 33.45, -112.07, 5.0), ("San Francisco", 37.77, -122.42, 4.6),
    ("Riverside", 33.95, -117.40, 4.6), ("Detroit", 42.33, -83.05, 4.3),
    ("Seattle", 47.61, -122.33, 4.0), ("Minneapolis", 44.98, -93.27, 3.7),
    ("San Diego", 32.72, -117.16, 3.3), ("Tampa", 27.95, -82.46, 3.3),
    ("Denver", 39.74, -104.99, 3.0), ("Baltimore", 39.29, -76.61, 2.8),
    ("St. Louis", 38.63, -90.20, 2.8), ("Orlando", 28.54, -81.38, 2.7),
    ("Charlotte", 35.23, -80.84, 2.7), ("San Antonio", 29.42, -98.49, 2.6),
    ("Portland", 45.52, -122.68, 2.5), ("Sacramento", 38.58, -121.49, 2.4),
    ("Pittsburgh", 40.44, -79.99, 2.4), ("Austin", 30.27, -97.74, 2.4),
    ("Las Vegas", 36.17, -115.14, 2.3), ("Cincinnati", 39.10, -84.51, 2.3),
    ("Kansas City", 39.10, -94.58, 2.2), ("Columbus", 39.96, -83.00, 2.1),
    ("Indianapolis", 39.77, -86.16, 2.1), ("Cleveland", 41.50, -81.69, 2.1),
    ("San Jose", 37.34, -121.89, 2.0), ("Nashville", 36.16, -86.78, 2.0),
    ("Virginia Beach", 36.85, -75.98, 1.8), ("Providence", 41.82, -71.41, 1.7),
    ("Jacksonville", 30.33, -81.66, 1.6), ("Milwaukee", 43.04, -87.91, 1.6),
    ("Raleigh", 35.78, -78.64, 1.4), ("Oklahoma City", 35.47, -97.52, 1.4),
    ("Memphis", 35.15, -90.05, 1.3), ("Richmond", 37.54, -77.44, 1.3),
    ("Louisville", 38.25, -85.76, 1.3), ("New Orleans", 29.95, -90.07, 1.3),
    ("Salt Lake City", 40.76, -111.89, 1.3), ("Hartford", 41.76, -72.67, 1.2),
    ("Buffalo", 42.89, -78.88, 1.2), ("Birmingham", 33.52, -86.80, 1.1),
    ("Rochester", 43.16, -77.61, 1.1), ("Tucson", 32.22, -110.97, 1.0),
    ("Omaha", 41.26, -95.94, 1.0), ("Albuquerque", 35.08, -106.65, 0.9),
    ("Boise", 43.62, -116.20, 0.8), ("Spokane", 47.66, -117.43, 0.6),
    ("Billings", 45.78, -108.50, 0.2), ("Fargo", 46.88, -96.79, 0.3),
    ("Little Rock", 34.75, -92.29, 0.8), ("Des Moines", 41.59, -93.62, 0.7),
]  # fmt: skip
# Where distribution centers and 3PLs cluster.
HUBS = [
    "Riverside", "Dallas", "Chicago", "Atlanta", "Columbus", "Memphis", "Indianapolis",
    "Philadelphia", "Salt Lake City", "Kansas City", "Louisville", "Reno", "Harrisburg",
    "Houston", "Seattle", "Denver", "Phoenix", "Nashville",
]  # fmt: skip
EXTRA_HUBS = {"Reno": (39.53, -119.81), "Harrisburg": (40.27, -76.88)}
KIND_SHARE = {"warehouse": 0.12, "3pl": 0.10, "supplier": 0.06}  # the rest are stores
SERVICE_EXPRESS_SHARE = 0.1


def _miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 3958.7613 * math.asin(math.sqrt(h))


@cache
def _zips() -> list[tuple[str, float, float]]:
    """Active standard ZIP codes of the lower 48 with coordinates."""
    import zipcodes

    out = []
    for z in zipcodes.list_all():
        if z["zip_code_type"] != "STANDARD" or not z["active"]:
            continue
        if z["state"] in {"AK", "HI", "PR", "VI", "GU", "AS", "MP", "AE", "AP", "AA"}:
            continue
        lat, lon = float(z["lat"]), float(z["long"])
        if lat and lon:
            out.append((z["zip_code"], lat, lon))
    return out


@cache
def _zips_near(lat: float, lon: float, radius: float = 30.0) -> list[str]:
    near = [z for z, zlat, zlon in _zips() if _miles(lat, lon, zlat, zlon) <= radius]
    return sorted(near) or [min(_zips(), key=lambda z: _miles(lat, lon, z[1], z[2]))[0]]


def _metro_point(name: str) -> tuple[float, float]:
    for metro, lat, lon, _ in METROS:
        if metro == name:
            return lat, lon
    return EXTRA_HUBS[name]


def make_network(locations: int, skus: int, seed: int = 1, ample: bool = False) -> dict[str, Any]:
    """A network file's data (``dom up --network`` shape) with ``locations`` locations."""
    rng = random.Random(seed)
    catalogue: list[dict[str, Any]] = []
    for i in range(skus):
        weight = round(min(25.0, max(0.1, rng.lognormvariate(0.0, 0.9))), 2)
        catalogue.append({"sku": f"SKU-{i:04d}", "weight_lb": weight})
    # Popularity: Zipf-like, SKU-0000 the best seller.
    popularity = [1 / (i + 1) ** 0.8 for i in range(skus)]
    counts = {kind: max(1, round(share * locations)) for kind, share in KIND_SHARE.items()}
    counts["store"] = locations - sum(counts.values())
    metro_names = [m[0] for m in METROS]
    metro_weights = [m[3] for m in METROS]
    scale = 1000 if ample else 1
    out = []
    for kind, count in counts.items():
        for n in range(count):
            if kind in ("warehouse", "3pl"):
                metro = HUBS[(n * 7 + (kind == "3pl") * 3) % len(HUBS)] if n < len(HUBS) else (
                    rng.choice(HUBS))  # fmt: skip
            elif kind == "supplier":
                metro = rng.choice(metro_names)
            else:
                metro = rng.choices(metro_names, metro_weights)[0]
            zip_code = rng.choice(_zips_near(*_metro_point(metro)))
            share, low, high = {
                "warehouse": (0.7, 40, 400),
                "3pl": (0.5, 20, 200),
                "store": (0.25, 1, 12),
                "supplier": (0.2, 100, 1000),
            }[kind]
            stock = {}
            for i, item in enumerate(catalogue):
                # Stores carry mostly best sellers; suppliers mostly heavy goods.
                bias = min(1.0, popularity[i] * 4) if kind == "store" else 1.0
                if kind == "supplier":
                    bias = 1.0 if item["weight_lb"] > 2 else 0.3
                if rng.random() < share * bias * (1.6 if kind == "store" else 1.0):
                    stock[item["sku"]] = rng.randint(low, high) * scale
            loc_id = f"{kind.upper().replace('3PL', 'TPL')}-{n:03d}"
            entry: dict[str, Any] = {
                "id": loc_id,
                "name": f"{metro} {kind} {n}",
                "kind": kind,
                "postal_code": zip_code,
                "stock": stock,
            }
            if kind == "store":
                entry["pickup"] = rng.random() < 0.5
            out.append(entry)
    return {"skus": catalogue, "locations": out}


def _quantity(rng: random.Random) -> int:
    return rng.choices([1, 2, 3], [80, 15, 5])[0]


def make_orders(network: dict[str, Any], n: int, seed: int = 2) -> Iterator[dict[str, Any]]:
    """``n`` checkout bodies (``OrderRequest`` shape) against ``network``'s catalogue."""
    rng = random.Random(seed)
    skus = [s["sku"] for s in network["skus"]]
    popularity = [1 / (i + 1) ** 0.8 for i in range(len(skus))]
    metro_names = [m[0] for m in METROS]
    metro_weights = [m[3] for m in METROS]
    everywhere = _zips()
    for k in range(n):
        size = rng.choices([1, 2, 3, 4, 5], [40, 25, 15, 12, 8])[0]
        chosen: list[str] = []
        while len(chosen) < size:
            sku = rng.choices(skus, popularity)[0]
            if sku not in chosen:
                chosen.append(sku)
        if rng.random() < 0.75:
            postal_code = rng.choice(
                _zips_near(*_metro_point(rng.choices(metro_names, metro_weights)[0]))
            )
        else:
            postal_code = rng.choice(everywhere)[0]
        yield {
            "order_id": f"SIM-{k + 1:06d}",
            "customer": {"name": f"Customer {k + 1}", "email": f"c{k + 1}@example.com"},
            "ship_to": sample_address(postal_code, f"SIM-{k + 1:06d}"),
            "lines": [
                {"line_id": str(i + 1), "sku": sku, "quantity": _quantity(rng)}
                for i, sku in enumerate(chosen)
            ],
            "service_level": "express" if rng.random() < SERVICE_EXPRESS_SHARE else "ground",
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    net = sub.add_parser("network", help="write a network YAML")
    net.add_argument("--locations", type=int, default=65)
    net.add_argument("--skus", type=int, default=200)
    net.add_argument("--seed", type=int, default=1)
    net.add_argument("--ample", action="store_true", help="x1000 stock: never runs dry")
    net.add_argument("--out", type=Path, required=True)
    orders = sub.add_parser("orders", help="write an orders JSONL for a network")
    orders.add_argument("--network", type=Path, required=True)
    orders.add_argument("--n", type=int, default=20000)
    orders.add_argument("--seed", type=int, default=2)
    orders.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.what == "network":
        data = make_network(args.locations, args.skus, args.seed, args.ample)
        args.out.write_text(yaml.safe_dump(data, sort_keys=False, width=120))
        print(f"wrote {args.out}: {len(data['locations'])} locations, {len(data['skus'])} SKUs")
    else:
        data = yaml.safe_load(args.network.read_text())
        with args.out.open("w") as out:
            for order in make_orders(data, args.n, args.seed):
                out.write(json.dumps(order) + "\n")
        print(f"wrote {args.out}: {args.n} orders")
    return 0


if __name__ == "__main__":
    sys.exit(main())
