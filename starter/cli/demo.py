"""``dom demo``: realistic demo orders, shoppers across the US buying from the demo
catalogue, placed through a running stack's API and followed to shipped."""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from dataclasses import dataclass
from typing import Annotated

import httpx
import typer
from rich.table import Table

from domain.geo import zip_city
from domain.models import Location, Network
from starter.cli.options import NetworkOpt, admin_token, console, settings_from_flags


def demo_command(
    orders: Annotated[int, typer.Option(help="How many demo orders to place.")] = 5,
    api_url: Annotated[
        str | None,
        typer.Option(help="The running API (default: from DOM_API_HOST and DOM_API_PORT)."),
    ] = None,
    network: NetworkOpt = None,
    token: Annotated[
        str | None,
        typer.Option(
            help="A token that may place and read orders (default: DOM_ADMIN_TOKEN, or the "
            "admin token in the data dir's tokens.txt)."
        ),
    ] = None,
) -> None:
    """Place realistic orders against a running stack and follow them to shipped."""
    from domain.network_file import demo_network, load_network

    settings = settings_from_flags()
    net = load_network(network) if network else demo_network()
    url = api_url or settings.api_url
    asyncio.run(show_demo(url, net, orders, token or admin_token(settings)))


async def show_demo(
    api_url: str, network: Network, count: int, token: str | None, *, by_hand: bool = False
) -> None:
    """Place ``count`` demo orders and print where each shipped from (``dom demo``, and
    ``dom up --demo`` once the stack is up). ``by_hand``: first place a pickup order at the
    network's store worked by hand, if it has one, and say where to work it."""
    if by_hand:
        store = hand_worked_store(network)
        if store is not None:
            order_id = f"HAND-{time.strftime('%H%M%S')}"
            async with httpx.AsyncClient(
                base_url=api_url, timeout=30, headers=_auth(token)
            ) as http:
                placed = await http.post("/orders", json=pickup_order(network, store, order_id))
            if placed.is_success:
                console.print(
                    f"Order {order_id} waits at {store.id} ({store.name}) to be worked by hand: "
                    f"{api_url}/console/locations/{store.id}/queue",
                    soft_wrap=True,
                )
    console.print(f"Placing {count} demo order(s) through {api_url} ...")
    results = await place_and_follow(api_url, network, count, token=token)
    table = Table(title="Demo orders")
    for column in ("order", "status", "shipped from", "cost"):
        table.add_column(column)
    for r in results:
        table.add_row(r.order_id, r.status, ", ".join(r.locations), r.cost or "")
    console.print(table)


# ZIPs of large US metros, weighted roughly by population.
SHOPPER_ZIPS = [
    ("80202", 3), ("10001", 8), ("90012", 7), ("60601", 5), ("77002", 4), ("85004", 4),
    ("19103", 3), ("78205", 2), ("92101", 3), ("75201", 4), ("95113", 2), ("98101", 3),
    ("02116", 3), ("33131", 3), ("30303", 4), ("55401", 2), ("97204", 2), ("89101", 2),
    ("84101", 1), ("37203", 2), ("28202", 2), ("48226", 2), ("64106", 1), ("73102", 1),
]  # fmt: skip
FIRST = ["Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal"]
LAST = ["Nguyen", "Smith", "Garcia", "Okafor", "Kim", "Rossi", "Patel", "Cohen", "Silva"]
SKINCARE_SET = ["SKIN-CLEANSER", "SKIN-SERUM", "SKIN-MOISTURIZER"]


STREET_NAMES = [
    "Main Street", "Oak Avenue", "Maple Drive", "Cedar Lane", "Park Road", "Lake Street",
    "Hill Road", "Elm Street", "Pine Avenue", "Washington Street",
]  # fmt: skip


def sample_address(postal_code: str, seed: str) -> dict[str, str]:
    """A made-up street address in ``postal_code``'s city, the same for the same ``seed``
    (an order id), for demo and benchmark orders: no random state is drawn."""
    city, state = zip_city(postal_code)
    number = zlib.crc32(seed.encode())
    street = f"{100 + number % 9900} {STREET_NAMES[number // 9900 % len(STREET_NAMES)]}"
    return {"postal_code": postal_code, "country": "US", "address1": street, "city": city,
            "region": state}  # fmt: skip


def demo_order(network: Network, rng: random.Random, order_id: str) -> dict[str, object]:
    """One checkout body: a third of shoppers buy the skincare set, the rest a few items."""
    zips, weights = zip(*SHOPPER_ZIPS, strict=True)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    catalogue = [s.sku for s in network.skus]
    if rng.random() < 0.35 and all(s in catalogue for s in SKINCARE_SET):
        skus = SKINCARE_SET
    else:
        skus = rng.sample(catalogue, k=min(len(catalogue), rng.choice([1, 1, 1, 2, 2, 3])))
    return {
        "order_id": order_id,
        "customer": {"name": f"{first} {last}", "email": f"{first}.{last}@example.com".lower()},
        "ship_to": sample_address(rng.choices(zips, weights)[0], order_id),
        "lines": [
            {"line_id": str(i + 1), "sku": sku, "quantity": rng.choice([1, 1, 1, 2])}
            for i, sku in enumerate(skus)
        ],
        "service_level": "express" if rng.random() < 0.15 else "ground",
        "delivery": "ship",
    }


def hand_worked_store(network: Network) -> Location | None:
    """The first active pickup store whose packages people work by hand (``manual``)."""
    return next(
        (
            loc
            for loc in network.locations
            if loc.adapter.type == "manual" and loc.pickup and loc.active and loc.stock
        ),
        None,
    )


def pickup_order(network: Network, store: Location, order_id: str) -> dict[str, object]:
    """A checkout body: one unit of each of two SKUs ``store`` holds, collected there."""
    known = {s.sku for s in network.skus}
    skus = [sku for sku, units in store.stock.items() if units > 1 and sku in known][:2]
    return {
        "order_id": order_id,
        "customer": {"name": "Nora York", "email": "nora.york@example.com"},
        "ship_to": {"postal_code": store.postal_code or "10001", "country": "US"},
        "lines": [{"line_id": str(i + 1), "sku": sku, "quantity": 1} for i, sku in enumerate(skus)],
        "delivery": "pickup",
        "pickup_location_id": store.id,
    }


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@dataclass
class DemoResult:
    order_id: str
    status: str
    locations: list[str]
    cost: str | None


async def place_and_follow(
    api_url: str,
    network: Network,
    count: int,
    *,
    wait_seconds: float = 120.0,
    seed: int | None = None,
    token: str | None = None,
) -> list[DemoResult]:
    """Place ``count`` demo orders through the API and wait until each one is done
    (``token``: one that may place and read orders, such as an admin's)."""
    rng = random.Random(seed)
    stamp = time.strftime("%H%M%S")
    order_ids = [f"DEMO-{stamp}-{i + 1:03d}" for i in range(count)]
    bodies = [demo_order(network, rng, order_id) for order_id in order_ids]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=api_url, timeout=30, headers=headers) as http:
        for body in bodies:
            response = await http.post("/orders", json=body)
            response.raise_for_status()
        pending = set(order_ids)
        results: dict[str, DemoResult] = {}
        deadline = time.monotonic() + wait_seconds
        while pending and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            for order_id in sorted(pending):
                order = (await http.get(f"/orders/{order_id}")).json()
                plan = (order.get("routing") or {}).get("plan") or {}
                results[order_id] = DemoResult(
                    order_id=order_id,
                    status=order["status"],
                    locations=[f["location_id"] for f in order["fulfillments"]],
                    cost=plan.get("cost"),
                )
                if order["status"] in {"shipped", "picked_up", "cancelled", "failed"}:
                    pending.discard(order_id)
    return [results[order_id] for order_id in order_ids if order_id in results]
