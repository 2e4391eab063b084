"""One HTTP status per business error, and 422s that name the offending field.

Answers say what happened in plain words; they never echo the Temporal SDK's or the
database driver's text (handler names, stack details, hosts), which goes to the log.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError

from adapters.signatures import SIGNATURE_HEADER, InvalidSignature
from adapters.store.errors import StoreUnavailable
from domain.access import InvalidToken, NotAuthenticated
from domain.errors import InvalidOrder, UnknownSku
from starter.api.rate_limits import RateLimited
from starter.gateway.orders import TemporalBusy, WorkflowUnavailable, is_too_large, is_transient
from starter.web_errors import RETRY_AFTER_SECONDS, STATUS, problems_message, problems_of

log = logging.getLogger(__name__)


class Problem(BaseModel):
    """One thing wrong with a request: where (``["body", "lines", 0, "sku"]``), what, and
    its kind (pydantic's, such as ``string_too_long``, or a business rule's, see
    ``BUSINESS_RULES``)."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer: a message a person can act on; ``error`` names the error's
    type, and a 422 lists its ``detail`` field by field."""

    message: str
    error: str | None = None
    detail: list[Problem] | None = None


# The kinds of 422 a schema cannot foresee: the request has the declared shape, but a
# rule needs data (the ZIP table, the time zones, the catalogue, the network) or compares
# fields with each other. Every other 422 is a request the OpenAPI schema refuses too.
BUSINESS_RULES = frozenset(
    {
        "unknown_postal_code",
        "unknown_time_zone",
        "invalid_email",
        "unknown_sku",
        "invalid_order",
        "duplicate",
        "inconsistent",
        "invalid_cursor",
        "rules",
        "token",
        "duration_too_long",
        "unsafe_webhook_url",  # the webhook policy: DOM_ENV, DNS, DOM_WEBHOOK_ALLOWED_HOSTS
        "missing_webhook_secret",
    }
)

_DESCRIPTIONS = {
    400: "The body cannot be read (not UTF-8, or cut short)",
    401: "Missing or unknown token",
    403: "The token's role may not do this",
    404: "Not found",
    405: "The path exists, but not for this method",
    409: "Conflicts with the current state; the message says what",
    413: "The body is over the limit; the message says what to shorten",
    415: "The body's Content-Type is not one this endpoint reads",
    422: "Invalid input; the message names the field",
    429: "Too many requests from this caller; send it again after Retry-After seconds",
    503: "Temporal or the database cannot answer now; retry after Retry-After",
}


def error_responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, each with the ``ErrorBody`` shape;
    ``descriptions`` (``e404="Unknown order"``) replace the general wording."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {
            "model": ErrorBody,
            "description": descriptions.get(f"e{status}", _DESCRIPTIONS[status]),
        }
    return out


def error_response(status: int, message: str, error: str) -> JSONResponse:
    """An error answer in the API's shape, also for middleware (it is an ASGI app)."""
    return JSONResponse(status_code=status, content={"message": message, "error": error})


def unavailable(message: str, error: str) -> JSONResponse:
    """A 503 the caller may retry: nothing was lost, it just cannot be served now."""
    response = error_response(503, message, error)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def validation_error(problems: list[dict[str, object]]) -> JSONResponse:
    """A 422 whose ``message`` says field by field what is wrong."""
    return JSONResponse(
        status_code=422, content={"message": problems_message(problems), "detail": problems}
    )


def allowed_methods(request: Request) -> list[str] | None:
    """The methods the API documents for the request's path (``GET, POST`` for
    ``/orders``), or None for a path the OpenAPI schema does not hold.

    Starlette's 405 names only the first route that matched the path (``Allow: POST`` for
    ``/orders``, which has a ``GET`` too). A path two templates match (``/inventory/
    receipts`` is also ``/inventory/{location_id}``) is the resource with fewer
    parameters: the one its name says."""
    paths = request.app.openapi().get("paths", {})
    candidates = [
        (template.count("{"), [method.upper() for method in operations])
        for template, operations in paths.items()
        if _template(template).fullmatch(request.url.path)
    ]
    return min(candidates)[1] if candidates else None


@functools.cache
def _template(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        # Starlette's own answers (no such path 404, wrong method 405, an unreadable body
        # 400) in the API's error shape, not ``{"detail": ...}``.
        headers = dict(exc.headers or {})
        allowed = allowed_methods(request) if exc.status_code == 405 else None
        if allowed:
            headers["Allow"] = ", ".join(allowed)
        return JSONResponse(
            status_code=exc.status_code,
            content={"message": str(exc.detail), "error": type(exc).__name__},
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_error(problems_of(exc.errors()))

    @app.exception_handler(NotAuthenticated)
    async def _who_are_you(request: Request, exc: NotAuthenticated) -> JSONResponse:
        # RFC 6750: no credentials gets a bare challenge; a bad token says so.
        given = request.headers.get("authorization") is not None
        challenge = 'Bearer error="invalid_token"' if given else "Bearer"
        return JSONResponse(
            status_code=401,
            content={"message": str(exc), "error": "NotAuthenticated"},
            headers={"WWW-Authenticate": challenge},
        )

    @app.exception_handler(InvalidToken)
    async def _invalid_token(request: Request, exc: InvalidToken) -> JSONResponse:
        # A token request of the declared shape that a rule refuses (a name in use, a
        # location token without its location).
        return validation_error([{"loc": ["body"], "msg": str(exc), "type": "token"}])

    @app.exception_handler(InvalidOrder)
    async def _invalid_order(request: Request, exc: InvalidOrder) -> JSONResponse:
        kind = "unknown_sku" if isinstance(exc, UnknownSku) else "invalid_order"
        return validation_error([{"loc": ["body", *exc.field], "msg": str(exc), "type": kind}])

    @app.exception_handler(InvalidSignature)
    async def _unsigned(request: Request, exc: InvalidSignature) -> JSONResponse:
        # A partner's webhook whose signature is wrong, missing or stale: say which, so
        # the partner can fix it; the secret itself is never part of the answer.
        return JSONResponse(
            status_code=401,
            content={"message": str(exc), "error": "InvalidSignature"},
            headers={"WWW-Authenticate": getattr(exc, "challenge", SIGNATURE_HEADER)},
        )

    @app.exception_handler(RateLimited)
    async def _slow_down(request: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse(
            status_code=429,
            content={"message": str(exc), "error": "RateLimited"},
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(WorkflowQueryFailedError)
    async def _query_failed(request: Request, exc: WorkflowQueryFailedError) -> JSONResponse:
        # Most often a worker whose workflow code no longer matches the order's history
        # (a deploy that changed a workflow without versioning it: TMPRL1100). The order
        # is intact in Temporal; it cannot be read until the worker runs matching code.
        log.error("%s %s: the workflow failed a query: %s", request.method, request.url.path, exc)
        return unavailable(
            "the order's workflow could not answer; the order is intact, and the server log "
            "says why (often a worker whose code does not match the order)",
            "QueryFailed",
        )

    @app.exception_handler(WorkflowUnavailable)
    async def _no_answer(request: Request, exc: WorkflowUnavailable) -> JSONResponse:
        return unavailable(str(exc), "WorkflowUnavailable")

    @app.exception_handler(TemporalBusy)
    async def _busy(request: Request, exc: TemporalBusy) -> JSONResponse:
        return unavailable(str(exc), "TemporalBusy")

    @app.exception_handler(RPCError)
    async def _temporal_error(request: Request, exc: RPCError) -> JSONResponse:
        # Down, overloaded, too slow, a transport error, a workflow task being retried:
        # the caller may send the same request again. Only a refusal is not retryable.
        log.warning("%s %s: Temporal answered %s: %s", request.method, request.url.path,
                    exc.status.name if exc.status else "?", exc.message)  # fmt: skip
        if is_too_large(exc):
            return JSONResponse(
                status_code=413,
                content={
                    "message": "the request is too large for an order's history; "
                    "shorten its longest fields",
                    "error": "PayloadTooLarge",
                },
            )
        if is_transient(exc):
            return unavailable("Temporal cannot answer now; send it again", "TemporalUnavailable")
        return JSONResponse(
            status_code=500,
            content={
                "message": "Temporal refused the request; the server log has the details",
                "error": "RPCError",
            },
        )

    @app.exception_handler(StoreUnavailable)
    async def _store_down(request: Request, exc: StoreUnavailable) -> JSONResponse:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
        return unavailable("the database cannot answer now; send it again", "DatabaseUnavailable")

    @app.exception_handler(OperationalError)
    async def _database_error(request: Request, exc: OperationalError) -> JSONResponse:
        # A query that did not go through the store's retrying plumbing: same meaning.
        log.warning("%s %s: database error: %s", request.method, request.url.path, exc.orig)
        return unavailable("the database cannot answer now; send it again", "DatabaseUnavailable")

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        # Still a 500, and the server still logs the traceback (Starlette re-raises after
        # this answer), but JSON the caller can parse, never plain text.
        return JSONResponse(
            status_code=500,
            content={"message": "internal error; the server log has the details", "error": "Bug"},
        )

    for error_type, status in STATUS.items():

        async def _mapped(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return JSONResponse(
                status_code=status, content={"message": str(exc), "error": type(exc).__name__}
            )

        app.add_exception_handler(error_type, _mapped)
