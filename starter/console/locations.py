"""A location's pages: its settings (taken offline or back online, pickups on or off),
its stock with the movements that change it (receipts, adjustments, counts) and their
ledger, and what it finished today.

Each action goes through the service its JSON route uses (``services.stock``,
``services.network``), checks the same right for the same location, and names the
signed-in caller as the actor; a location's token acts on its own location only.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.access import Principal, Right, Role
from domain.errors import UnknownLocation
from domain.models import Location, Network
from domain.routing.rules import Rules, default_rules
from services import network as network_service
from services import stock
from services.errors import NotFound
from services.work_queue import done_today
from starter.api.schemas import Adjustment, Count, LocationPatch, Receipt
from starter.console.session import ConsoleCaller, ConsolePoster
from starter.console.web import REFRESH_EVENT, ConsoleRoute, Refused, is_htmx, is_id, render

router = APIRouter(prefix="/console/locations", include_in_schema=False, route_class=ConsoleRoute)

LEDGER_ROWS = 50  # one balance's movements, opened from the stock table
RECENT_ROWS = 30  # the location's latest movements, under the stock
DONE_ROWS = 200  # packages on the "done today" page


def _network(request: Request) -> Network:
    network: Network = request.app.state.catalog.network()
    return network


def _rules(request: Request) -> Rules:
    return request.app.state.rules() or default_rules()


def _check_location(me: Principal, location_id: str, right: Right = Right.READ_STOCK) -> None:
    if not is_id(location_id):
        raise UnknownLocation(f"unknown location {location_id!r}")
    me.check(right, location_id)  # another location's: 404, as in the API


@router.get("", response_class=HTMLResponse, response_model=None)
async def locations(request: Request, me: ConsoleCaller) -> Response:
    """The network's locations (a location's token goes to its own page)."""
    if me.role is Role.LOCATION:
        return RedirectResponse(f"/console/locations/{me.location_id}", status_code=303)
    me.check(Right.READ_LOCATIONS)
    network = await run_in_threadpool(_network, request)
    return render(request, "locations.html", me, locations=network.locations)


def _settings_context(request: Request, location_id: str) -> dict[str, Any]:
    location = network_service.known_location(request.app.state.catalog, location_id)
    return {"settings": network_service.location_settings(location)}


def _stock_context(request: Request, location_id: str) -> dict[str, Any]:
    catalog, store = request.app.state.catalog, request.app.state.store
    page = stock.location_stock(store, catalog, _rules(request), location_id, limit=1000)
    recent = stock.location_ledger(store, catalog, location_id, limit=RECENT_ROWS)
    network = _network(request)
    return {
        "location_id": location_id,
        "stock": page,
        "recent": recent,
        "names": {s.sku: s.name for s in network.skus if s.name},
        "images": {s.sku: s.image_url for s in network.skus if s.image_url},
    }


@router.get("/{location_id}", response_class=HTMLResponse)
async def location_page(request: Request, me: ConsoleCaller, location_id: str) -> HTMLResponse:
    """A location's settings and switches, its stock with the forms that move it, and
    its latest movements."""
    _check_location(me, location_id)

    def read() -> dict[str, Any]:
        context = {
            **_settings_context(request, location_id),
            **_stock_context(request, location_id),
        }
        context["skus"] = _network(request).skus
        return context

    context = await run_in_threadpool(read)
    return render(
        request, "location.html", me, **context,
        may_count=me.may(Right.COUNT_STOCK) and me.sees(location_id),
        may_adjust=me.may(Right.ADJUST_STOCK),
    )  # fmt: skip


@router.get("/{location_id}/settings", response_class=HTMLResponse)
async def settings_card(request: Request, me: ConsoleCaller, location_id: str) -> HTMLResponse:
    """The settings card alone: it reloads after each action on the page."""
    _check_location(me, location_id)
    context = await run_in_threadpool(_settings_context, request, location_id)
    return render(request, "_location_settings.html", me, **context)


@router.get("/{location_id}/stock", response_class=HTMLResponse)
async def stock_card(request: Request, me: ConsoleCaller, location_id: str) -> HTMLResponse:
    """The stock table and the latest movements alone: they reload after each movement."""
    _check_location(me, location_id)
    context = await run_in_threadpool(_stock_context, request, location_id)
    return render(request, "_location_stock.html", me, **context)


@router.get("/{location_id}/ledger/{sku}", response_class=HTMLResponse)
async def ledger(request: Request, me: ConsoleCaller, location_id: str, sku: str) -> HTMLResponse:
    """One balance's latest movements (a fragment the location page loads on demand)."""
    _check_location(me, location_id)
    if not is_id(sku):
        raise NotFound(f"unknown SKU {sku!r}")
    catalog, store = request.app.state.catalog, request.app.state.store
    page = await run_in_threadpool(
        stock.ledger, store, catalog, location_id, sku, limit=LEDGER_ROWS
    )
    return render(request, "_ledger.html", me, page=page)


# --- actions ------------------------------------------------------------------------------


def _answer(request: Request, me: Principal, message: str, location_id: str) -> HTMLResponse:
    """An action's answer in words; for htmx, the page's cards told to reload."""
    if is_htmx(request):
        return render(request, "_answer.html", me, headers={"HX-Trigger": REFRESH_EVENT},
                      ok=True, message=message)  # fmt: skip
    return render(request, "answer.html", me, ok=True, message=message,
                  back=f"/console/locations/{location_id}")  # fmt: skip


def _moved(what: str, moved: stock.Moved) -> str:
    woken = len(moved.woken)
    balance = moved.balance
    text = f"{what}: {balance.sku} at {balance.location_id} now {balance.on_hand} on hand"
    text += f", {balance.reserved} reserved."
    if woken:
        text += f" Woke {woken} backordered order{'s' if woken != 1 else ''}."
    return text


def _blank(value: str) -> str | None:
    return value.strip() or None


@router.post("/{location_id}/receipts", response_class=HTMLResponse)
async def receive(
    request: Request,
    me: ConsolePoster,
    location_id: str,
    sku: Annotated[str, Form(max_length=64)] = "",
    quantity: Annotated[str, Form(max_length=20)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Units arrived, as ``POST /inventory/receipts`` books them (a location at its own)."""
    _check_location(me, location_id, Right.COUNT_STOCK)
    receipt = Receipt.model_validate(
        {"location_id": location_id, "sku": sku, "quantity": quantity.strip(),
         "reference": _blank(reference)},
        strict=False,
    )  # fmt: skip
    moved = await stock.receive(
        request.app.state.store, request.app.state.gateway, request.app.state.catalog,
        location_id, receipt.sku, receipt.quantity, reference=receipt.reference,
        actor=me.actor,
    )  # fmt: skip
    return _answer(request, me, _moved(f"Received {receipt.quantity}", moved), location_id)


@router.post("/{location_id}/adjustments", response_class=HTMLResponse)
async def adjust(
    request: Request,
    me: ConsolePoster,
    location_id: str,
    sku: Annotated[str, Form(max_length=64)] = "",
    delta: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Units found (+) or lost (-) with the reason, as ``POST /inventory/adjustments``."""
    _check_location(me, location_id, Right.ADJUST_STOCK)
    adjustment = Adjustment.model_validate(
        {"location_id": location_id, "sku": sku, "delta": delta.strip(),
         "reason": reason.strip(), "reference": _blank(reference)},
        strict=False,
    )  # fmt: skip
    moved = await stock.adjust(
        request.app.state.store, request.app.state.gateway, request.app.state.catalog,
        location_id, adjustment.sku, adjustment.delta, reason=adjustment.reason,
        reference=adjustment.reference, actor=me.actor,
    )  # fmt: skip
    return _answer(request, me, _moved(f"Adjusted by {adjustment.delta:+d}", moved), location_id)


@router.post("/{location_id}/counts", response_class=HTMLResponse)
async def count(
    request: Request,
    me: ConsolePoster,
    location_id: str,
    sku: Annotated[str, Form(max_length=64)] = "",
    on_hand: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """A cycle count sets on hand, as ``PUT /inventory/{location}/{sku}`` does."""
    _check_location(me, location_id, Right.COUNT_STOCK)
    counted = Count.model_validate(
        {"on_hand": on_hand.strip(), "reason": reason.strip() or "cycle count"}, strict=False
    )
    if not is_id(sku):
        raise NotFound(f"unknown SKU {sku!r}")
    moved = await stock.count_one(
        request.app.state.store, request.app.state.gateway, request.app.state.catalog,
        location_id, sku, counted.on_hand, reason=counted.reason, reference=None,
        actor=me.actor,
    )  # fmt: skip
    return _answer(request, me, _moved(f"Counted {counted.on_hand}", moved), location_id)


_SWITCHES = {
    ("active", False): "Taken offline: it gets no new orders; its open packages stay",
    ("active", True): "Back online: it takes orders again",
    ("pickup", False): "Pickups stopped: checkout no longer offers pickup here",
    ("pickup", True): "Pickups on: checkout offers pickup here",
}


@router.post("/{location_id}/settings", response_class=HTMLResponse)
async def switch(
    request: Request,
    me: ConsolePoster,
    location_id: str,
    setting: Annotated[str, Form(max_length=20)],
    value: Annotated[str, Form(max_length=10)],
) -> HTMLResponse:
    """Take a location offline or back online, or turn pickups off or on: the change
    ``PATCH /locations/{id}`` makes with ``active`` or ``pickup``."""
    _check_location(me, location_id, Right.MANAGE_LOCATIONS)
    if setting not in ("active", "pickup"):
        raise Refused("setting: only active or pickup is switched here")
    patch = LocationPatch.model_validate({setting: value}, strict=False)
    changes = patch.model_dump(exclude_unset=True)
    updated: Location = await network_service.update_location(
        request.app.state.store, request.app.state.catalog,
        request.app.state.settings.webhook_policy, location_id, changes, actor=me.actor,
    )  # fmt: skip
    key = (setting, bool(getattr(updated, setting, None)))
    message = f"{updated.name}: " + _SWITCHES.get(key, "saved") + "."
    return _answer(request, me, message, location_id)


# --- what it finished today ---------------------------------------------------------------


def start_of_day(location: Location, now: datetime) -> datetime:
    """Midnight where the location is (its ``timezone``; UTC when it has none)."""
    zone = ZoneInfo(location.timezone) if location.timezone else UTC
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(), zone)


@router.get("/{location_id}/done", response_class=HTMLResponse)
async def done(request: Request, me: ConsoleCaller, location_id: str) -> HTMLResponse:
    """The packages the location shipped or handed over since its midnight."""
    _check_location(me, location_id, Right.READ_QUEUE)
    location = await run_in_threadpool(
        network_service.known_location, request.app.state.catalog, location_id
    )
    network = await run_in_threadpool(_network, request)
    since = start_of_day(location, datetime.now(UTC))
    packages = await done_today(
        request.app.state.store, request.app.state.gateway, location_id, since=since,
        limit=DONE_ROWS,
    )  # fmt: skip
    return render(
        request, "done.html", me, location=location, packages=packages, since=since,
        names={s.sku: s.name for s in network.skus if s.name},
    )  # fmt: skip
