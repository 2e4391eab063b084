"""The prices a worker routes with, and the rolling window of orders they are learnt from.

A worker keeps one ``PriceBoard``: the allocate activity reads ``current`` (a cheap
read of a reference) and then ``observe``s the order; a background task calls
``refresh`` with the stock now, which runs the LPs (``prices.compute_prices``), builds
the per-location price arrays routing reads (for the same ``Network`` object routing
is given), and replaces ``current`` whole. So an order is never priced by its own
demand, and the workflow path never waits for an LP.
"""

from __future__ import annotations

import threading
from collections import deque

from domain.models import Network
from domain.routing.network import RoutingNetwork
from domain.routing.prices import DemandForecast, StockPrices, compute_prices
from domain.routing.rules import Rules
from domain.routing.types import RoutingRequest, StockSnapshot


class PriceBoard:
    """Latest ``StockPrices`` and the last ``window_orders`` orders seen, by order id.

    Thread-safe: activities observe from many threads while one refresher reads the
    window. Observing an order id already in the window does nothing, so a retried or
    re-routed allocation, or a backorder trying again, counts its order's demand once.
    Until the first refresh ``current`` is None and ``lookahead`` routes as ``optimal``.
    """

    def __init__(self, window_orders: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._window: deque[RoutingRequest] = deque()
        self._ids: set[str] = set()
        self._limit = window_orders
        self.observed = 0
        """Orders observed since the board was made (repeats not counted)."""
        self.observed_at_refresh = 0
        """``observed`` when ``current`` was last computed."""
        self.current: StockPrices | None = None

    def __len__(self) -> int:
        return len(self._window)

    def observe(self, request: RoutingRequest) -> bool:
        """Remember an order the system has seen (the oldest leaves a full window).

        False if its order id is already in the window."""
        with self._lock:
            if request.order_id in self._ids:
                return False
            self._window.append(request)
            self._ids.add(request.order_id)
            if len(self._window) > self._limit:
                self._ids.discard(self._window.popleft().order_id)
            self.observed += 1
            return True

    def forecast(self, region_degrees: float) -> DemandForecast:
        """Expected demand learnt from the orders in the window now."""
        with self._lock:
            window = list(self._window)
        return DemandForecast.from_requests(window, region_degrees)

    def refresh(self, network: Network, stock: StockSnapshot, rules: Rules) -> StockPrices | None:
        """Recompute ``current`` from the window and the stock now; slow (one LP per SKU).

        With nothing observed yet, ``current`` stays as it was."""
        seen = self.observed
        forecast = self.forecast(rules.lookahead.region_degrees)
        if not forecast.orders:
            return self.current
        prices = compute_prices(
            network, stock, forecast, rules, rules.lookahead.horizon_orders,
            weight=rules.lookahead.price_weight,
        )  # fmt: skip
        net = RoutingNetwork.build(network)
        for sku in prices.values:  # here, not on the first order that reads them
            prices.by_rank(net, sku)
        self.current = prices
        self.observed_at_refresh = seen
        return prices

    def clear(self) -> None:
        """Forget the prices (the window stays): ``lookahead`` routes as ``optimal`` again."""
        self.current = None
