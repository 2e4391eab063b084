"""Many threads against one store: no oversell, and books that still balance.

This is cosmicpython's "only one wins" test at scale, run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from adapters.store import InventoryStore, PackageReservation, WouldUnderflow
from domain.errors import OutOfStock
from tests.support.builders import small_network

pytestmark = pytest.mark.slow


def _reserve_one(store: InventoryStore, n: int, barrier: threading.Barrier) -> bool:
    order_id = f"order-{n}"
    package = PackageReservation(
        fulfillment_id=f"{order_id}-F1", location_id="EAST", lines={"WIDGET": 1}
    )
    barrier.wait()
    try:
        store.reserve_plan(order_id, f"{order_id}:alloc:1", [package], "{}")
    except OutOfStock:
        return False
    return True


def test_200_concurrent_reservations_of_50_units_grant_exactly_50(
    empty_store: InventoryStore,
) -> None:
    store = empty_store
    assert store.load_network(small_network(widgets=50))
    attempts = 200
    barrier = threading.Barrier(attempts)
    with ThreadPoolExecutor(max_workers=attempts) as pool:
        results = list(pool.map(lambda n: _reserve_one(store, n, barrier), range(attempts)))

    assert results.count(True) == 50
    assert results.count(False) == 150
    (east,) = [b for b in store.balances("WIDGET") if b.location_id == "EAST"]
    assert (east.on_hand, east.reserved) == (50, 50)
    assert len(store.open_reservations()) == 50
    assert store.check_ledger() == []


@dataclass
class _Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    counts: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1


def _worker(store: InventoryStore, worker: int, steps: int, tally: _Tally) -> None:
    """A random walk of every kind of movement; refusals are expected, errors are not."""
    rng = random.Random(worker)
    mine: list[tuple[str, str]] = []  # (order_id, fulfillment_id) this worker reserved
    for step in range(steps):
        action = rng.choice(
            ["reserve", "reserve", "reserve", "release", "ship", "receive", "count", "adjust"]
        )
        location = rng.choice(["EAST", "WEST"])
        sku = "WIDGET" if location == "WEST" else rng.choice(["WIDGET", "GADGET"])
        try:
            if action == "reserve":
                order_id = f"w{worker}-o{step}"
                packages = [
                    PackageReservation(
                        fulfillment_id=f"{order_id}-F1",
                        location_id=location,
                        lines={sku: rng.randint(1, 3)},
                        safety_stock={sku: rng.choice([0, 0, 1])},
                    )
                ]
                if rng.random() < 0.3:  # a split order across both locations
                    packages.append(
                        PackageReservation(
                            fulfillment_id=f"{order_id}-F2",
                            location_id="WEST" if location == "EAST" else "EAST",
                            lines={"WIDGET": 1},
                        )
                    )
                store.reserve_plan(order_id, f"{order_id}:alloc", packages, "{}")
                mine.extend((order_id, p.fulfillment_id) for p in packages)
            elif action == "release" and mine:
                order_id, fulfillment_id = mine.pop(rng.randrange(len(mine)))
                store.release(order_id, fulfillment_id, reason="cancelled")
            elif action == "ship" and mine:
                order_id, fulfillment_id = mine.pop(rng.randrange(len(mine)))
                store.commit_shipment(order_id, fulfillment_id)
                store.commit_shipment(order_id, fulfillment_id)  # a retried activity
            elif action == "receive":
                store.receive(location, sku, rng.randint(1, 4), reference=f"PO-{worker}-{step}")
            elif action == "count":
                balance = store.balance(location, sku)
                store.count(location, sku, balance.reserved + rng.randint(0, 3), reason="cycle")
            elif action == "adjust":
                store.adjust(location, sku, rng.choice([-2, -1, 1, 2]), reason="damaged/found")
            else:
                continue
            tally.add(action)
        except OutOfStock:
            tally.add(f"{action} refused")
        except WouldUnderflow:
            tally.add(f"{action} underflow")


def _watch(store: InventoryStore, stop: threading.Event, tally: _Tally) -> None:
    """Sample the balances while the workers run: reserved must never exceed on_hand."""
    while not stop.wait(0.002):
        for sku in ("WIDGET", "GADGET"):
            for b in store.balances(sku):
                if b.reserved > b.on_hand or b.reserved < 0:
                    tally.violations.append(f"{b}")


def test_mixed_movements_from_many_threads_keep_the_books_balanced(
    store: InventoryStore,
) -> None:
    tally = _Tally()
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(store, stop, tally))
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = [pool.submit(_worker, store, w, 40, tally) for w in range(16)]
            for future in futures:
                future.result()  # re-raises anything unexpected
    finally:
        stop.set()
        watcher.join()

    assert tally.violations == []
    assert store.check_ledger() == []
    for kind in ("reserve", "release", "ship", "receive", "count"):
        assert tally.counts.get(kind, 0) > 0, tally.counts
    for sku in ("WIDGET", "GADGET"):
        for b in store.balances(sku):
            assert 0 <= b.reserved <= b.on_hand
