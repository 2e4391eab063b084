"""Switchyard's Prometheus metrics: one place names every figure, its labels and buckets.

Each process keeps its own figures (prometheus-client's default registry) and is scraped
on its own: the API at ``GET /metrics`` (placements, and in ``dom up`` the worker's too,
since they share the process), each ``dom worker`` at ``DOM_METRICS_ADDRESS``
(routing, cost, reroutes, SLA breaches, conflicts). Counters and histograms add up
across processes; the two gauges read at scrape time (orders by status, backorders
waiting) are the whole cluster's, read from Temporal and the database, so take their
``max`` across API processes, never their sum.

Recorded in the API and in activities only, never in a workflow: a workflow replays,
and a figure counted during a replay would be counted twice.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import start_http_server

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST

ORDERS_BY_STATUS = Gauge(
    "switchyard_orders",
    "Orders by status, as Temporal's visibility counts them at scrape time (cluster-wide)",
    ["status"],
)
BACKORDERS_WAITING = Gauge(
    "switchyard_backorders_waiting",
    "Orders waiting for stock at scrape time (cluster-wide, from the database)",
)
SOURCE_UP = Gauge(
    "switchyard_metrics_source_up",
    "1 when the source of the cluster-wide gauges answered at the last scrape, else 0 "
    "(the gauge then keeps its last value)",
    ["source"],  # temporal | database
)
ORDERS_PLACED = Counter(
    "switchyard_orders_placed",
    "Orders accepted by POST /orders (and the Shopify webhook); repeats counted apart",
    ["outcome"],  # created | repeat
)
PLACEMENT_SECONDS = Histogram(
    "switchyard_order_placement_seconds",
    "Time for the API to accept an order: validation and starting its workflow",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
ROUTING_SECONDS = Histogram(
    "switchyard_routing_seconds",
    "Time for the allocate activity to route and reserve (dry runs of a reroute included)",
    ["outcome"],  # routed | unfulfillable
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
ORDER_COST = Histogram(
    "switchyard_allocation_cost_dollars",
    "Shipping and handling cost of each plan reserved (an order's first plan, a backorder "
    "filled, or a reroute)",
    ["kind"],  # order | reroute
    buckets=(2, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 200),
)
PACKAGES_PER_ORDER = Histogram(
    "switchyard_packages_per_allocation",
    "Packages in each plan reserved (more than one: the order was split)",
    ["kind"],
    buckets=(1, 2, 3, 4, 6, 10),
)
REROUTES = Counter(
    "switchyard_reroutes",
    "Units placed again after a package failed, by why: rejected, timed_out, short "
    "(the location's doing) or operator (POST /orders/{id}/reroute)",
    ["reason"],
)
SLA_BREACHES = Counter(
    "switchyard_sla_breaches",
    "Packages a location did not accept, ship or ready in time (closed timed_out)",
    ["location_id"],
)
RESERVATION_CONFLICTS = Counter(
    "switchyard_reservation_conflicts",
    "Reservations that lost a race for the last units and were routed again",
)
EVENT_DELIVERIES = Counter(
    "switchyard_event_deliveries",
    "Attempts to deliver an event to a subscriber, by outcome: delivered, retried (to be "
    "tried again with backoff) or failed (given up)",
    ["outcome"],
)


def record_placement(seconds: float, *, created: bool) -> None:
    """An order accepted by the API (``created`` False: a harmless repeat)."""
    PLACEMENT_SECONDS.observe(seconds)
    ORDERS_PLACED.labels("created" if created else "repeat").inc()


def record_allocation(
    seconds: float,
    *,
    routed: bool,
    dry_run: bool,
    cost: Decimal | None,
    packages: int,
    reroute_reason: str | None,
) -> None:
    """What the allocate activity decided and how long it took."""
    ROUTING_SECONDS.labels("routed" if routed else "unfulfillable").observe(seconds)
    if dry_run or not routed:
        return
    kind = "reroute" if reroute_reason else "order"
    if reroute_reason:
        REROUTES.labels(reroute_reason).inc()
    if cost is not None:
        ORDER_COST.labels(kind).observe(float(cost))
    PACKAGES_PER_ORDER.labels(kind).observe(packages)


def exposition() -> bytes:
    """This process's figures in Prometheus's text format."""
    return generate_latest()


def serve(address: str) -> None:
    """Serve this process's figures at ``http://<address>/metrics`` (``host:port``), in a
    thread; for a worker, which has no HTTP server of its own."""
    host, _, port = address.rpartition(":")
    start_http_server(int(port), addr=host or "0.0.0.0")
    log.info("metrics at http://%s/metrics", address)
