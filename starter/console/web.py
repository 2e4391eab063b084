"""Rendering console pages: the templates, their filters, and errors as pages.

Console routes answer HTML, never the API's JSON: ``ConsoleRoute`` turns the errors the
JSON routes map to a status (``starter.web_errors.status_for``) into a page, or, for an
htmx request, into a fragment that says what happened in words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError

from adapters.store import InvalidQuantity, WouldUnderflow
from adapters.store.errors import StoreUnavailable
from domain.access import Principal, Right
from domain.errors import UnknownSku
from domain.models import is_identifier
from services.errors import LocationExists, SkuExists
from starter.console.session import (
    CSRF_HEADER,
    CsrfRefused,
    SignInRequired,
    session_csrf,
    sign_in_url,
)
from starter.gateway.orders import TemporalBusy, WorkflowUnavailable
from starter.web_errors import RETRY_AFTER_SECONDS, problems_message, problems_of, status_for

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

REFRESH_EVENT = "console-refresh"  # an action's answer tells the page's state to reload
# A refused action's answer: the page's state may have moved on (that is often why), so
# it reloads, but like a poll, only once nobody is typing in it (a refused form keeps
# what was typed, to be corrected).
STALE_EVENT = "console-stale"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """``3 h ago``, ``in 20 min``: how far ``moment`` is from now, for people."""
    if moment is None:
        return ""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 45:
        text = f"{int(seconds)} s"
    elif seconds < 3600:
        text = f"{round(seconds / 60)} min"
    elif seconds < 86400 * 2:
        text = f"{round(seconds / 3600)} h"
    else:
        text = f"{round(seconds / 86400)} d"
    return f"in {text}" if future else f"{text} ago"


def exact(moment: datetime | None) -> str:
    """The exact time, in UTC (the hover text of every relative time)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def money(amount: Decimal | float | str | None) -> str:
    if amount is None:
        return ""
    value = Decimal(str(amount))
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def words(value: object) -> str:
    """``ready_for_pickup`` -> ``ready for pickup``."""
    return str(getattr(value, "value", value) or "").replace("_", " ")


templates.env.filters.update(ago=ago, exact=exact, money=money, words=words)
templates.env.globals.update(Right=Right)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    me: Principal | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    csrf: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page or fragment, with who is signed in and the CSRF token for its forms
    (``csrf``: the sign-in form's, bound to its own cookie)."""
    csrf = csrf or session_csrf(request)
    return templates.TemplateResponse(
        request,
        template,
        {"me": me, "csrf": csrf, "csrf_header": CSRF_HEADER, **context},
        status_code=status_code,
        headers=headers,
    )


UNAVAILABLE = (  # Temporal or the database cannot answer now
    WorkflowUnavailable,
    TemporalBusy,
    WorkflowQueryFailedError,
    StoreUnavailable,
    OperationalError,
    RPCError,
)


def is_id(value: str) -> bool:
    """An order id, SKU or location id as the API's paths take them (64 characters at most)."""
    return len(value) <= 64 and is_identifier(value)


class Refused(Exception):
    """A console page's own refusal of a request, answered with ``status``."""

    status = 422


class Conflict(Refused):
    """A request that makes no sense now (a SKU code already taken): a 409."""

    status = 409


class PageNotFound(Refused):
    """What a page is about does not exist (an order id nobody placed): a 404 page."""

    status = 404


def explain(exc: Exception) -> tuple[int, str] | None:
    """(status, message in words) for an error the API answers too; None for a bug."""
    if isinstance(exc, ValidationError | RequestValidationError):
        return 422, problems_message(problems_of(exc.errors()))
    if isinstance(exc, CsrfRefused):
        return 403, str(exc)
    if isinstance(exc, Refused):
        return exc.status, str(exc)
    status = _STORE_STATUS.get(type(exc)) or status_for(exc)
    if status is not None:
        return status, str(exc)
    if isinstance(exc, UNAVAILABLE):
        # Nothing changed; the server log has the details (the API answers 503 too).
        log.warning("%s: %r", type(exc).__name__, exc)
        return 503, "Temporal or the database cannot answer now; try again in a few seconds"
    return None


# The store's refusals of a stock movement or a catalogue entry, as the API's stock and
# catalogue routes answer them (``starter.api.store_errors``): there an unknown SKU is a
# missing resource, not a bad order line.
_STORE_STATUS: dict[type[Exception], int] = {
    UnknownSku: 404,
    WouldUnderflow: 409,
    InvalidQuantity: 422,
    LocationExists: 409,
    SkuExists: 409,
}

_TITLES = {403: "Not allowed", 404: "Not found", 409: "Refused", 422: "Not valid", 503: "Busy"}


class ConsoleRoute(APIRoute):
    """Answers errors as pages (or htmx fragments), and a missing session with the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                if is_htmx(request):
                    return Response(status_code=200, headers={"HX-Redirect": "/console/login"})
                return RedirectResponse(sign_in_url(request), status_code=303)
            except Exception as exc:
                known = explain(exc)
                if known is None:
                    log.exception("%s %s failed", request.method, request.url.path)
                    known = (500, "something went wrong; the server log has the details")
                status, message = known
                headers = {"HX-Trigger": STALE_EVENT} if request.method == "POST" else {}
                if status == 503:  # as the API's: when to try again
                    headers["Retry-After"] = RETRY_AFTER_SECONDS
                template = "_answer.html" if is_htmx(request) else "error.html"
                return render(
                    request,
                    template,
                    getattr(request.state, "console_principal", None),
                    status_code=status,
                    headers=headers,
                    ok=False,
                    status=status,
                    title=_TITLES.get(status, "Error"),
                    message=message,
                )

        return handle
