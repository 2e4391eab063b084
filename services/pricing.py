"""Keeping a worker's ``lookahead`` prices fresh: the background half of the policy.

The allocate activity only reads the board's prices and observes the order
(``services.inventory.allocate``); this module recomputes them off the workflow path,
from the orders the worker has seen and the stock in the store now. Each worker process
keeps its own board, learnt from the orders it allocated (a sample of the whole stream
when several workers share the queue; the forecast is a share of orders, so a sample
estimates the same demand) and runs its own LPs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from domain.routing.price_board import PriceBoard
from domain.routing.prices import LpSolverMissing, StockPrices
from domain.routing.rules import Rules
from services.ports import NetworkCatalog, StockReads

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PricingSchedule:
    """When a worker recomputes prices (``DOM_LOOKAHEAD_*`` settings)."""

    every_seconds: float = 60.0
    """At most this long between refreshes while ``lookahead`` is in force."""
    window_orders: int = 20_000
    """Orders the board remembers to learn demand from."""
    min_orders: int = 200
    """No prices before the window holds this many orders (fewer are noise)."""


class PriceRefresher:
    """Recomputes a ``PriceBoard`` while the rules choose ``lookahead``.

    A refresh is due when the rules in force choose ``lookahead``, the window holds
    ``min_orders`` orders, and none was made yet, or the rules' version changed,
    or ``every_seconds`` passed, or ``rules.lookahead.refresh_orders`` orders were seen
    since the last one. When the rules stop choosing ``lookahead`` the prices are
    dropped, so a later switch back never routes on stale ones.
    """

    def __init__(
        self,
        store: StockReads,
        catalog: NetworkCatalog,
        rules: Callable[[], Rules],
        board: PriceBoard,
        schedule: PricingSchedule,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._rules = rules
        self.board = board
        self.schedule = schedule
        self._refreshed_at: float | None = None
        self._rules_version: int | None = None

    def due(self, rules: Rules, now: float) -> bool:
        """Whether prices should be recomputed now under ``rules``."""
        board = self.board
        if rules.policy != "lookahead" or len(board) < self.schedule.min_orders:
            return False
        if self._refreshed_at is None:
            return True
        return (
            rules.version != self._rules_version
            or now - self._refreshed_at >= self.schedule.every_seconds
            or board.observed - board.observed_at_refresh >= rules.lookahead.refresh_orders
        )

    def refresh(self, rules: Rules | None = None) -> StockPrices | None:
        """Recompute the prices from the window and the stock now (slow: call from a thread);
        ``rules``: the ones just read, if the caller has them."""
        rules = rules or self._rules()
        if rules.policy != "lookahead":
            self._drop()
            return None
        network = self._catalog.network()
        stock = self._store.stock_snapshot(s.sku for s in network.skus)
        started = time.monotonic()
        prices = self.board.refresh(network, stock, rules)
        self._refreshed_at = time.monotonic()
        self._rules_version = rules.version
        if prices is not None:
            log.info(
                "lookahead prices refreshed: %d SKUs priced from %d orders (rules v%d) in %.1f s",
                len(prices.values), prices.orders_seen, rules.version,
                self._refreshed_at - started,
            )  # fmt: skip
        return prices

    def _drop(self) -> None:
        self.board.clear()
        self._refreshed_at = None  # a switch back to lookahead refreshes at once

    async def tick(self) -> None:
        """One check: drop prices if lookahead is off, refresh them if due."""
        rules = await asyncio.to_thread(self._rules)
        if rules.policy != "lookahead":
            self._drop()
        elif self.due(rules, time.monotonic()):
            await asyncio.to_thread(self.refresh, rules)

    async def run(self) -> None:
        """Check about once a second until cancelled; a failed refresh is logged and retried
        at the next due time (the old prices stay in force meanwhile)."""
        pause = min(1.0, self.schedule.every_seconds)
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except LpSolverMissing as exc:  # rules stored before; new ones are refused
                self._refreshed_at = time.monotonic()
                log.error("lookahead prices not computed (orders route as optimal): %s", exc)
            except Exception:
                self._refreshed_at = time.monotonic()  # not again at once: wait a period
                log.warning("could not refresh lookahead prices", exc_info=True)
            await asyncio.sleep(pause)
