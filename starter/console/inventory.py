"""Stock pages: a SKU across the network (a map and a table), read through the same
services as the JSON routes. A location's own page is ``starter.console.locations``."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.access import Right
from domain.models import Network
from domain.routing.rules import Rules, default_rules
from services import network as network_service
from services import stock
from services.errors import NotFound
from services.stock import LocationStock, SkuInventory
from starter.api.schemas import SkuPatch
from starter.console.session import ConsoleCaller, ConsolePoster
from starter.console.usmap import HEIGHT, WIDTH, albers_usa
from starter.console.web import ConsoleRoute, is_htmx, is_id, render

router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)

MAX_RADIUS = 28.0  # pixels, for the location holding the most available units
LEDGER_ROWS = 50


def _an_id(value: str, missing: Exception) -> str:
    if not is_id(value):
        raise missing
    return value


def _network(request: Request) -> Network:
    network: Network = request.app.state.catalog.network()
    return network


def _rules(request: Request) -> Rules:
    return request.app.state.rules() or default_rules()


def map_sites(network: Network, rows: list[LocationStock]) -> list[dict[str, object]]:
    """A circle per location on the map, its area proportional to available units."""
    by_id = {loc.id: loc for loc in network.locations}
    most = max((r.available for r in rows), default=0) or 1
    sites = []
    for row in rows:
        location = by_id.get(row.location_id)
        if location is None:
            continue
        point = location.point
        x, y = albers_usa(point.lat, point.lon)
        if not (0 <= x <= WIDTH and 0 <= y <= HEIGHT):
            continue  # Alaska, Hawaii, abroad: the table still lists it
        radius = 3.0 + (MAX_RADIUS - 3.0) * math.sqrt(row.available / most)
        sites.append({"id": row.location_id, "name": location.name, "x": round(x, 1),
                      "y": round(y, 1), "r": round(radius, 1), "row": row})  # fmt: skip
    return sites


@router.get("/inventory", response_class=HTMLResponse)
async def skus(request: Request, me: ConsoleCaller) -> HTMLResponse:
    """Every SKU, with its network totals."""
    me.check(Right.READ_INVENTORY)
    store = request.app.state.store

    def read() -> tuple[Network, list[SkuInventory]]:
        # One network and rules read for the page, then each SKU's balances.
        network = _network(request)
        rules = _rules(request)
        return network, [stock.sku_stock(store, network, rules, s.sku) for s in network.skus]

    network, rows = await run_in_threadpool(read)
    names = {s.sku: s.name for s in network.skus if s.name}
    return render(request, "inventory.html", me, rows=rows, names=names)


@router.get("/inventory/{sku}", response_class=HTMLResponse)
async def sku_page(request: Request, me: ConsoleCaller, sku: str) -> HTMLResponse:
    """One SKU: every location's on hand, reserved, safety stock and available, mapped."""
    me.check(Right.READ_INVENTORY)
    _an_id(sku, NotFound(f"unknown SKU {sku!r}"))
    store = request.app.state.store

    def read() -> tuple[Network, SkuInventory]:
        network = _network(request)
        return network, stock.sku_inventory(store, network, _rules(request), sku)

    network, found = await run_in_threadpool(read)
    name = next((s.name for s in network.skus if s.sku == sku), None)
    sites = map_sites(network, found.locations)
    return render(
        request, "inventory_sku.html", me, stock=found, name=name, sites=sites, width=WIDTH,
        height=HEIGHT,
    )  # fmt: skip


@router.post("/inventory/{sku}/name", response_class=HTMLResponse, response_model=None)
async def name_sku(
    request: Request,
    me: ConsolePoster,
    sku: str,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Name (or rename) a SKU as ``PATCH /skus/{sku}`` does; blank clears the name."""
    me.check(Right.MANAGE_CATALOGUE)
    _an_id(sku, NotFound(f"unknown SKU {sku!r}"))
    patch = SkuPatch(name=name.strip() or None)
    changes = patch.model_dump(exclude_unset=True)
    await run_in_threadpool(network_service.update_sku, request.app.state.store, sku, changes)
    target = f"/console/inventory/{sku}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
