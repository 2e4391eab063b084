"""Support's and operations' pages: find orders, read one, reroute, hold or cancel it."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from domain.access import Principal, Right
from domain.checkout import HoldBody
from domain.holds import HoldReason, HoldRelease, HoldRequest
from domain.models import Network, OrderStatus
from domain.orders import (
    CancelRequest,
    HoldResult,
    OrderView,
    PackageLines,
    RerouteRequest,
    RerouteResult,
)
from domain.routing.types import Plan
from services import orders, returns
from services.ports import OrderGateway
from starter.api.schemas import CancelBody, ReleaseHoldBody, RerouteBody
from starter.console.returns import may_authorize
from starter.console.session import ConsoleCaller, ConsolePoster
from starter.console.web import (
    REFRESH_EVENT,
    ConsoleRoute,
    PageNotFound,
    is_htmx,
    is_id,
    render,
    words,
)
from starter.gateway.orders import UnknownOrder

router = APIRouter(prefix="/console/orders", include_in_schema=False, route_class=ConsoleRoute)

PAGE_SIZE = 25
MAX_RESULTS = 200  # what one search reads (the API's own limit)


def _gateway(request: Request) -> OrderGateway:
    gateway: OrderGateway = request.app.state.gateway
    return gateway


def _network(request: Request) -> Network:
    network: Network = request.app.state.catalog.network()
    return network


@router.get("", response_class=HTMLResponse)
async def find_orders(
    request: Request,
    me: ConsoleCaller,
    q: str = "",
    order_id: str = "",
    status: str = "",
    email: str = "",
    sku: str = "",
    location: str = "",
    placed_from: str = "",
    page: int = 1,
) -> HTMLResponse:
    """Search by order id (any case), part of the customer's name or e-mail, status, SKU,
    location and date, newest first. (``order_id`` and ``email``: an exact id or address,
    as links from before ``q`` still ask.)"""
    me.check(Right.READ_ORDERS)
    form = {
        "q": q.strip(),
        "order_id": order_id.strip(),
        "status": status,
        "email": email.strip(),
        "sku": sku.strip(),
        "location": location.strip(),
        "placed_from": placed_from.strip(),
    }
    problems: list[str] = []
    for name in ("order_id", "sku", "location"):
        if form[name] and not is_id(form[name]):
            problems.append(f"{name.replace('_', ' ')}: letters, digits, . _ - only")
    statuses = [s.value for s in OrderStatus]
    if form["status"] and form["status"] not in statuses:
        problems.append("status: choose one from the list")
    if len(form["email"]) > 320:
        problems.append("e-mail: at most 320 characters")
    if len(form["q"]) > 200:
        problems.append("search: at most 200 characters")
    after = None
    if form["placed_from"]:
        try:
            after = datetime.combine(datetime.fromisoformat(form["placed_from"]), time(), UTC)
        except ValueError:
            problems.append("placed from: a date such as 2026-12-01")
    page = max(1, min(page, MAX_RESULTS // PAGE_SIZE))
    rows: list[object] = []
    more = False
    if not problems and form["order_id"]:
        try:
            view = await _gateway(request).get_order(form["order_id"])
            rows = [_summary_of(view)]
        except UnknownOrder:
            rows = []
    elif not problems:
        found = await _gateway(request).find_orders(
            status=OrderStatus(form["status"]) if form["status"] else None,
            customer_email=form["email"] or None,
            location_id=form["location"] or None,
            sku=form["sku"] or None,
            placed_after=after,
            text=form["q"] or None,
            limit=min(page * PAGE_SIZE + 1, MAX_RESULTS),
        )
        rows = list(found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
        more = len(found) > page * PAGE_SIZE
    network = await run_in_threadpool(_network, request)
    return render(
        request,
        "orders.html",
        me,
        form=form,
        problems=problems,
        rows=rows,
        page=page,
        more=more,
        statuses=statuses,
        locations=[loc.id for loc in network.locations],
        skus=[s.sku for s in network.skus],
        query=_query(form),
    )


def _summary_of(view: OrderView) -> dict[str, object]:
    placed = next((e.at for e in view.events if e.type == "received"), None)
    return {
        "order_id": view.order_id,
        "status": view.status.value,
        "placed_at": placed,
        "closed_at": None,
        "locations": sorted({f.location_id for f in view.fulfillments}),
        "skus": sorted({line.sku for line in view.lines}),
        "customer": view.customer,
        "customer_erased": view.customer_erased,
    }


def _query(form: dict[str, str]) -> str:
    return urlencode({k: v for k, v in form.items() if v})


# --- one order --------------------------------------------------------------------------


def plan_rows(view: OrderView) -> list[dict[str, object]]:
    """The decision's winner and its alternatives, cheapest first, the winner marked."""
    decision = view.routing
    if decision is None or decision.plan is None:
        return []
    plans: list[tuple[Plan, bool]] = [(decision.plan, True)]
    plans += [(p, False) for p in decision.alternatives]
    rows = []
    for plan, chosen in plans:
        rows.append(
            {
                "chosen": chosen,
                "label": plan.label,
                "packages": [
                    {
                        "location_id": p.location_id,
                        "units": sum(line.quantity for line in p.lines),
                        "lines": p.lines,
                        "miles": p.miles,
                        "zone": p.zone,
                    }
                    for p in plan.packages
                ],
                "breakdown": plan.breakdown,
                "cost": plan.cost,
                "transit_days": plan.transit_days,
                "extra": plan.cost - decision.plan.cost,
            }
        )
    return rows


async def _order_context(request: Request, me: Principal, order_id: str) -> dict[str, Any]:
    if not is_id(order_id):
        raise UnknownOrder(f"no order {order_id!r}")
    view = await _gateway(request).get_order(order_id)
    view.returns = await returns.returns_of(request.app.state.store, order_id)
    network = await run_in_threadpool(_network, request)
    names = {s.sku: s.name for s in network.skus if s.name}
    open_packages = [f for f in view.fulfillments if f.status.is_open]
    decision = view.routing
    plans = [decision.plan, *decision.alternatives] if decision and decision.plan else []
    return {
        "order": view,
        "names": names,
        "images": {s.sku: s.image_url for s in network.skus if s.image_url},
        "plans": plan_rows(view),
        "has_opportunity": any(p.breakdown.opportunity != Decimal("0") for p in plans),
        "locations": [loc for loc in network.locations if loc.active],
        "can_reroute": me.may(Right.REROUTE_ORDERS)
        and not view.status.is_final
        and bool(open_packages or view.backordered),
        "can_cancel": me.may(Right.CANCEL_ORDERS) and not view.status.is_final,
        "can_return": may_authorize(me, view),
        "return_locations": [loc for loc in network.locations if loc.active and loc.returns],
        "can_hold": me.may(Right.HOLD_ORDERS) and not view.status.is_final,
        "hold_reasons": list(HoldReason),
    }


@router.get("/{order_id}", response_class=HTMLResponse)
async def order_page(request: Request, me: ConsoleCaller, order_id: str) -> HTMLResponse:
    me.check(Right.READ_ORDERS)
    try:
        context = await _order_context(request, me, order_id)
    except UnknownOrder:
        raise PageNotFound(
            f"There is no order {order_id!r}. Check the id, or find the order by its "
            "customer's e-mail."
        ) from None
    return render(request, "order.html", me, **context)


@router.get("/{order_id}/state", response_class=HTMLResponse)
async def order_state(request: Request, me: ConsoleCaller, order_id: str) -> HTMLResponse:
    """The order's state alone: the page reloads it every few seconds and after an action."""
    me.check(Right.READ_ORDERS)
    context = await _order_context(request, me, order_id)
    return render(request, "_order_state.html", me, **context)


def _answer(request: Request, me: Principal, message: str, back: str) -> HTMLResponse:
    """An action's answer: a fragment for htmx (and the page's state told to reload),
    a small page otherwise."""
    if is_htmx(request):
        return render(
            request,
            "_answer.html",
            me,
            headers={"HX-Trigger": REFRESH_EVENT},
            ok=True,
            message=message,
        )
    return render(request, "answer.html", me, ok=True, message=message, back=back)


def describe_reroute(result: RerouteResult) -> str:
    taken = ", ".join(result.cancelled_fulfillment_ids) or "no package"
    new = "; ".join(
        f"{f.fulfillment_id} at {f.location_id} ("
        + ", ".join(f"{line.quantity} x {line.sku}" for line in f.lines)
        + ")"
        for f in result.fulfillments
        if f.status.is_open
    )
    if result.decision.status != "routed":
        why = result.decision.reason or "no location can take it"
        return f"Rerouted: took back {taken}; it could not be placed again ({why})."
    return f"Rerouted: took back {taken}; now {new or 'waiting for stock'}."


@router.post("/{order_id}/reroute", response_class=HTMLResponse)
async def reroute(
    request: Request,
    me: ConsolePoster,
    order_id: str,
    reason: Annotated[str, Form(max_length=500)] = "",
    exclude: Annotated[list[str] | None, Form()] = None,
    force: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """The API's reroute (same checks, same refusals), answered in words."""
    me.check(Right.REROUTE_ORDERS)
    if not is_id(order_id):
        raise UnknownOrder(f"no order {order_id!r}")
    body = RerouteBody(
        exclude_location_ids=exclude or [], location_id=force or None, reason=reason.strip()
    )
    result = await orders.reroute(
        _gateway(request),
        request.app.state.catalog,
        order_id,
        RerouteRequest(**body.model_dump(), actor=me.actor),
    )
    return _answer(request, me, describe_reroute(result), f"/console/orders/{order_id}")


@router.post("/{order_id}/cancel", response_class=HTMLResponse)
async def cancel(
    request: Request,
    me: ConsolePoster,
    order_id: str,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """The API's cancel, answered in words (a 409 says what already shipped)."""
    me.check(Right.CANCEL_ORDERS)
    if not is_id(order_id):
        raise UnknownOrder(f"no order {order_id!r}")
    body = CancelBody(reason=reason.strip())
    view = await _gateway(request).cancel(
        order_id, CancelRequest(reason=body.reason, actor=me.actor)
    )
    message = f"Cancelled: the order is now {view.status.value.replace('_', ' ')}."
    return _answer(request, me, message, f"/console/orders/{order_id}")


def describe_hold(result: HoldResult, *, released: HoldReason | None = None) -> str:
    """A hold's (or a release's) answer in words: what waits, what goes on."""
    if released is not None:
        lifted = f"Released the {words(released.value)} hold"
        if result.holds:
            left = ", ".join(words(h.reason.value) for h in result.holds)
            return f"{lifted}; still on hold for {left}."
        sent = _packages(result.already_dispatched) or "nothing yet"
        return f"{lifted}; with the locations now: {sent}."
    message = f"On hold: {_packages(result.held) or 'nothing yet'} waits for the release."
    if result.already_dispatched:
        message += f" Already with a location, going on: {_packages(result.already_dispatched)}."
    return message


def _packages(items: list[PackageLines]) -> str:
    return ", ".join(p.fulfillment_id or f"{words(p.status)} units" for p in items)


@router.post("/{order_id}/hold", response_class=HTMLResponse)
async def hold(
    request: Request,
    me: ConsolePoster,
    order_id: str,
    reason: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    expires_in_hours: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    """The API's hold (the same body, the same refusals), answered in words."""
    me.check(Right.HOLD_ORDERS)
    if not is_id(order_id):
        raise UnknownOrder(f"no order {order_id!r}")
    hours = expires_in_hours.strip()
    body = HoldBody.model_validate(
        {
            "reason": reason,
            "note": note.strip() or None,
            "expires_in_hours": int(hours) if hours.isdigit() else (hours or None),
        }
    )
    result = await _gateway(request).hold(
        order_id, HoldRequest(**body.model_dump(), actor=me.actor)
    )
    return _answer(request, me, describe_hold(result), f"/console/orders/{order_id}")


@router.post("/{order_id}/release-hold", response_class=HTMLResponse)
async def release_hold(
    request: Request,
    me: ConsolePoster,
    order_id: str,
    reason: Annotated[str, Form(max_length=40)] = "",
) -> HTMLResponse:
    """The API's release, answered in words."""
    me.check(Right.HOLD_ORDERS)
    if not is_id(order_id):
        raise UnknownOrder(f"no order {order_id!r}")
    body = ReleaseHoldBody.model_validate({"reason": reason})
    result = await _gateway(request).release_hold(
        order_id, HoldRelease(reason=body.reason, actor=me.actor)
    )
    message = describe_hold(result, released=body.reason)
    return _answer(request, me, message, f"/console/orders/{order_id}")
