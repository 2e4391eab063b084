"""Returns in the console: support authorizes one on the order's page; the return
location's queue lists the parcels on their way, each with a "Received" form."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from domain.access import Principal, Right
from domain.errors import UnknownLocation, UnknownReturn
from domain.fulfillment import is_delivered
from domain.orders import OrderView
from domain.return_states import Condition
from domain.returns import ReceivedLine, ReturnReport, ReturnRequest, ReturnView
from services import returns
from services.network import known_location
from starter.console.session import ConsolePoster
from starter.console.web import REFRESH_EVENT, ConsoleRoute, Refused, is_htmx, is_id, render
from starter.gateway.orders import UnknownOrder

router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)

_RETURN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}-R[0-9]{1,4}$")


def may_authorize(me: Principal, view: OrderView) -> bool:
    """The caller may authorize returns and something of the order reached the customer."""
    return me.may(Right.AUTHORIZE_RETURNS) and any(
        is_delivered(f.status) for f in view.fulfillments
    )


def report_id() -> str:
    """A fresh event_id for one "Received" form: submitting that form twice is one report."""
    return f"console-{uuid.uuid4().hex[:16]}"


def _answer(request: Request, me: Principal, message: str, back: str) -> HTMLResponse:
    if is_htmx(request):
        return render(request, "_answer.html", me, headers={"HX-Trigger": REFRESH_EVENT},
                      ok=True, message=message)  # fmt: skip
    return render(request, "answer.html", me, ok=True, message=message, back=back)


@router.post("/orders/{order_id}/returns", response_class=HTMLResponse)
async def authorize(
    request: Request,
    me: ConsolePoster,
    order_id: str,
    line_id: Annotated[str, Form(max_length=64)] = "",
    quantity: Annotated[str, Form(max_length=6)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    return_to: Annotated[str, Form(max_length=64)] = "",
    request_id: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """The API's ``POST /orders/{id}/returns`` for one line, answered in words (a 409
    says which line and why)."""
    me.check(Right.AUTHORIZE_RETURNS)
    if not is_id(order_id):
        raise UnknownOrder(f"no order {order_id!r}")
    body = ReturnRequest.model_validate(
        {
            "lines": [{"line_id": line_id, "quantity": quantity, "reason": reason.strip()}],
            "return_to": return_to or None,
            "request_id": request_id or None,
        },
        strict=False,
    )
    view, created = await returns.authorize_return(
        request.app.state.store,
        request.app.state.gateway,
        request.app.state.returns,
        request.app.state.catalog,
        order_id,
        body,
        actor=me.actor,
        window=timedelta(days=request.app.state.settings.return_window_days),
        subscribed=request.app.state.subscribed_types.current(),
    )
    refund = f"; refund due {view.refund_due} {view.currency}" if view.refund_due else ""
    told = "authorized" if created else "was already authorized"
    message = f"Return {view.return_id} {told}: back to {view.location_id}{refund}."
    return _answer(request, me, message, f"/console/orders/{order_id}")


async def awaited(request: Request, me: Principal, location_id: str) -> list[ReturnView]:
    """The returns on their way to the location, for its queue page (none if the caller
    may not see returns)."""
    if not me.may(Right.READ_RETURNS):
        return []
    return await returns.awaited_at(request.app.state.store, location_id)


def received_lines(form: dict[str, str], view: ReturnView) -> list[ReceivedLine]:
    """The "Received" form as the report's lines: per line, ``damaged:<line_id>`` units
    (blank: none) and ``sellable:<line_id>`` units (blank: the rest of the line), so a
    parcel that came back whole and sellable is one click."""
    lines = []
    for line in view.lines:
        damaged = _units(form.get(f"damaged:{line.line_id}", ""), f"damaged ({line.line_id})")
        given = form.get(f"sellable:{line.line_id}", "").strip()
        sellable = (
            _units(given, f"sellable ({line.line_id})")
            if given
            else max(line.quantity - damaged, 0)
        )
        for condition, units in ((Condition.SELLABLE, sellable), (Condition.DAMAGED, damaged)):
            if units:
                lines.append(
                    ReceivedLine(line_id=line.line_id, quantity=units, condition=condition)
                )
    return lines


def _units(text: str, what: str) -> int:
    text = text.strip()
    if not text:
        return 0
    if not text.isdigit() or len(text) > 5:
        raise Refused(f"{what}: a number of units, such as 1")
    return int(text)


@router.post("/locations/{location_id}/returns/{return_id}/received", response_class=HTMLResponse)
async def received(
    request: Request,
    me: ConsolePoster,
    location_id: str,
    return_id: str,
    event_id: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """The API's ``POST /locations/{id}/returns/{rid}/events`` ("received"), in words."""
    me.check(Right.REPORT_EVENTS, location_id)
    if len(location_id) > 64 or not is_id(location_id):
        raise UnknownLocation(f"unknown location {location_id!r}")
    await run_in_threadpool(known_location, request.app.state.catalog, location_id)
    if not (len(return_id) <= 70 and _RETURN_ID.match(return_id)):
        raise UnknownReturn.named(return_id)
    view = await returns.stored_return(request.app.state.store, return_id, me)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    report = ReturnReport(
        type="received", event_id=event_id or report_id(), lines=received_lines(form, view)
    )
    receipt = await returns.report_received(
        request.app.state.store, request.app.state.returns, location_id, return_id, report, me
    )
    message = (
        f"{return_id} was already recorded as received."
        if receipt.duplicate
        else f"{return_id} received: sellable units are back on hand."
    )
    return _answer(request, me, message, f"/console/locations/{location_id}/queue")
