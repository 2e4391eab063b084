"""``GET /metrics``: this process's figures for Prometheus, with the cluster-wide gauges
(orders by status, backorders waiting) read fresh at each scrape."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from adapters import metrics
from domain.access import Right
from starter.api.auth import Allowed
from starter.api.deps import GatewayDep, StoreDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {metrics.CONTENT_TYPE: {}}, "description": "Prometheus text"}},
    dependencies=[Allowed(Right.READ_METRICS)],
)
async def scrape(request: Request, gateway: GatewayDep, store: StoreDep) -> Response:
    """Prometheus's text format. Counters and histograms are this process's (add them up
    across processes); ``switchyard_orders`` and ``switchyard_backorders_waiting`` are the
    whole cluster's (take the max). A gauge whose source does not answer keeps its last
    value and ``switchyard_metrics_source_up`` says so: the scrape still succeeds (200, not
    503), since an outage is when the process's own figures matter most."""
    try:
        for status, count in (await gateway.count_orders_by_status()).items():
            metrics.ORDERS_BY_STATUS.labels(status.value).set(count)
        metrics.SOURCE_UP.labels("temporal").set(1)
    except Exception as exc:
        metrics.SOURCE_UP.labels("temporal").set(0)
        log.warning("metrics: Temporal did not count the orders: %r", exc)
    try:
        metrics.BACKORDERS_WAITING.set(await run_in_threadpool(store.orders_backordered))
        metrics.SOURCE_UP.labels("database").set(1)
    except Exception as exc:
        metrics.SOURCE_UP.labels("database").set(0)
        log.warning("metrics: the database did not count the backorders: %r", exc)
    return Response(content=metrics.exposition(), media_type=metrics.CONTENT_TYPE)
