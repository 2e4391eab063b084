"""The overview: today's orders by status, cost per order, split rate, on-time rate,
reroutes, timeouts and backorders, as figures and server-rendered SVG charts."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.access import Right, Role
from domain.models import FulfillmentStatus, OrderStatus
from domain.orders import OrderView
from starter.console.session import ConsoleCaller
from starter.console.web import ConsoleRoute, render

router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)

TODAY_LIMIT = 200  # orders counted by status (one visibility query)
SAMPLE = 40  # the newest orders read in full for the figures (a query each)


@dataclass
class Figures:
    """What the overview shows, over today's orders (UTC)."""

    orders: int = 0
    by_status: list[tuple[str, int]] = field(default_factory=list)
    sampled: int = 0
    cost_per_order: Decimal | None = None
    packages_per_order: float | None = None
    split_rate: float | None = None
    on_time_rate: float | None = None
    reroutes: int = 0
    timeouts: int = 0
    backorders: int = 0
    packages: list[tuple[str, int]] = field(default_factory=list)


def figures(statuses: list[str | None], views: list[OrderView]) -> Figures:
    """The overview's figures: statuses of every order today, the rest over ``views``.

    On time: a package that reached the customer's hands (shipped, picked up) kept its
    SLA, since the order workflow times out a package that misses it; so the rate is
    delivered / (delivered + timed out)."""
    counts = Counter(s or "unknown" for s in statuses)
    order = [s.value for s in OrderStatus] + ["unknown"]
    result = Figures(
        orders=len(statuses),
        by_status=[(s, counts[s]) for s in order if counts[s]],
        sampled=len(views),
    )
    plans = [v.routing.plan for v in views if v.routing is not None and v.routing.plan]
    if plans:
        result.cost_per_order = (sum((p.cost for p in plans), Decimal(0)) / len(plans)).quantize(
            Decimal("0.01")
        )
        sizes = [len(p.packages) for p in plans]
        result.packages_per_order = sum(sizes) / len(sizes)
        result.split_rate = sum(1 for n in sizes if n > 1) / len(sizes)
        spread = Counter(min(n, 3) for n in sizes)
        result.packages = [(label, spread[n]) for n, label in ((1, "1"), (2, "2"), (3, "3+"))]
    packages = [f for v in views for f in v.fulfillments]
    delivered = sum(f.status in (FulfillmentStatus.SHIPPED, FulfillmentStatus.PICKED_UP)
                    for f in packages)  # fmt: skip
    result.timeouts = sum(f.status is FulfillmentStatus.TIMED_OUT for f in packages)
    if delivered + result.timeouts:
        result.on_time_rate = delivered / (delivered + result.timeouts)
    result.reroutes = sum(v.reroutes for v in views)
    result.backorders = sum(
        1 for v in views if v.backordered or v.status is OrderStatus.BACKORDERED
    )
    return result


async def todays_figures(request: Request) -> Figures:
    gateway = request.app.state.gateway
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    found = await gateway.find_orders(placed_after=midnight, limit=TODAY_LIMIT)
    read = await asyncio.gather(
        *(gateway.get_order(o.order_id) for o in found[:SAMPLE]), return_exceptions=True
    )
    views = [v for v in read if isinstance(v, OrderView)]
    return figures([o.status for o in found], views)


@router.get("", response_class=HTMLResponse, response_model=None)
async def overview(request: Request, me: ConsoleCaller) -> Response:
    if me.role is Role.LOCATION:
        return RedirectResponse(f"/console/locations/{me.location_id}/queue", status_code=303)
    me.check(Right.READ_ORDERS)
    return render(request, "overview.html", me, f=await todays_figures(request), now=_now())


@router.get("/overview/panel", response_class=HTMLResponse)
async def overview_panel(request: Request, me: ConsoleCaller) -> HTMLResponse:
    """The figures alone: the overview reloads them every few seconds."""
    me.check(Right.READ_ORDERS)
    return render(request, "_overview.html", me, f=await todays_figures(request), now=_now())


def _now() -> datetime:
    return datetime.now(UTC)
