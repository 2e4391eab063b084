"""The lookahead policy in a worker: the allocate activity reads the board's prices and
observes each order; the refresher recomputes them from live stock in the store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from activities.inventory import InventoryActivities
from adapters.network_cache import NetworkCache
from adapters.rules_book import RulesBook
from adapters.store import InventoryStore
from domain.orders import Allocation
from domain.routing.price_board import PriceBoard
from domain.routing.rules import default_rules
from services.pricing import PriceRefresher, PricingSchedule
from tests.support.builders import allocation_request
from tests.support.data import E2E
from tests.support.stack import store_holding

NETWORK = E2E / "network_lookahead.yaml"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[InventoryStore]:
    with store_holding(NETWORK, f"sqlite:///{tmp_path / 'lookahead.db'}") as store:
        yield store


def lookahead_rules(**lookahead: object) -> dict[str, object]:
    rules = default_rules().model_dump(mode="json")
    rules["policy"] = "lookahead"
    rules["lookahead"] = {**rules["lookahead"], "horizon_orders": 10, **lookahead}
    return rules


def shipped_from(allocation: Allocation) -> list[str]:
    assert allocation.decision.plan is not None, allocation.decision.reason
    return [p.location_id for p in allocation.decision.plan.packages]


class Worker:
    """The worker's lookahead parts, as ``starter.bootstrap.worker.build_worker`` wires them."""

    def __init__(self, store: InventoryStore, min_orders: int = 2) -> None:
        self.book = RulesBook(store)
        self.board = PriceBoard(window_orders=100)
        catalog = NetworkCache(store)
        self.activities = InventoryActivities(
            store, rules=self.book.current, prices=self.board, catalog=catalog
        )
        self.refresher = PriceRefresher(
            store, catalog, self.book.current, self.board,
            PricingSchedule(every_seconds=3600, window_orders=100, min_orders=min_orders),
        )  # fmt: skip

    def tick(self) -> None:
        asyncio.run(self.refresher.tick())


def test_a_denver_order_is_routed_away_from_the_last_units_chicago_wants(
    store: InventoryStore,
) -> None:
    worker = Worker(store)
    worker.book.replace(lookahead_rules(), actor="test")
    worker.tick()
    assert worker.board.current is None  # nothing seen yet: no prices, routes as optimal
    for k in range(2):  # Chicago's demand, served from its store (3 units beyond safety left)
        assert shipped_from(
            worker.activities.allocate(allocation_request(f"CHI-{k}", "60614"))
        ) == ["CHI-STORE"]
    assert len(worker.board) == 2
    worker.tick()
    prices = worker.board.current
    assert prices is not None and prices.orders_seen == 2
    # What a Chicago customer would pay more from Newark: $15.60 against $13.15.
    assert prices.dollars("LANTERN", "CHI-STORE") == Decimal("2.45")

    denver = worker.activities.allocate(allocation_request("DEN-1", "80202"))
    assert shipped_from(denver) == ["NWK-DC"]
    decision = denver.decision
    assert decision.policy == "lookahead"
    assert decision.explanation is not None
    assert "Chicago store's unit of LANTERN is worth $2.45" in decision.explanation
    assert "ships from Newark main warehouse ($0.60 more in shipping" in decision.explanation
    # A retried allocation is answered from the store and counts the order once.
    again = worker.activities.allocate(allocation_request("DEN-1", "80202"))
    assert again == denver and worker.board.observed == 3


def test_switching_the_rules_off_lookahead_drops_the_prices(store: InventoryStore) -> None:
    worker = Worker(store)
    worker.book.replace(lookahead_rules(), actor="test")
    for k in range(2):
        worker.activities.allocate(allocation_request(f"CHI-{k}", "60614"))
    worker.tick()
    assert worker.board.current is not None
    worker.book.replace(default_rules().model_dump(mode="json"), actor="test")  # optimal
    denver = worker.activities.allocate(allocation_request("DEN-1", "80202"))
    assert shipped_from(denver) == ["CHI-STORE"]  # optimal ignores prices at once
    assert denver.decision.policy == "optimal"
    worker.tick()
    assert worker.board.current is None
    # Back to lookahead: the next check refreshes at once (new version), from live stock.
    worker.book.replace(lookahead_rules(), actor="test")
    assert worker.refresher.due(worker.book.current(), 0.0)
    worker.tick()
    assert worker.board.current is not None


def test_no_prices_before_the_window_holds_the_minimum(store: InventoryStore) -> None:
    worker = Worker(store, min_orders=3)
    worker.book.replace(lookahead_rules(), actor="test")
    for k in range(2):
        worker.activities.allocate(allocation_request(f"CHI-{k}", "60614"))
    worker.tick()
    assert worker.board.current is None
    assert shipped_from(worker.activities.allocate(allocation_request("DEN-1", "80202"))) == [
        "CHI-STORE"
    ]
    worker.tick()  # the Denver order was the third
    assert worker.board.current is not None


def test_a_refresh_is_due_on_time_on_orders_seen_and_on_new_rules(store: InventoryStore) -> None:
    worker = Worker(store)
    worker.book.replace(lookahead_rules(refresh_orders=2), actor="test")
    for k in range(2):
        worker.activities.allocate(allocation_request(f"CHI-{k}", "60614"))
    worker.tick()
    rules = worker.book.current()
    refreshed = worker.refresher._refreshed_at
    assert refreshed is not None
    assert not worker.refresher.due(rules, refreshed + 1)
    assert worker.refresher.due(rules, refreshed + 3601)  # every_seconds (3,600) passed
    worker.activities.allocate(allocation_request("CHI-2", "60614"))
    assert not worker.refresher.due(rules, refreshed + 1)
    worker.activities.allocate(allocation_request("CHI-3", "60614"))
    assert worker.refresher.due(rules, refreshed + 1)  # refresh_orders seen since
    worker.tick()
    worker.book.replace(lookahead_rules(refresh_orders=2, price_weight=0.5), actor="test")
    assert worker.refresher.due(worker.book.current(), refreshed + 1)  # a new rules version
