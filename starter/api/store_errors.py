"""The inventory store's own errors at the HTTP edge, one status each, in the API's shape.

``starter/api/errors.py`` maps the domain's errors for the whole app; the stock and
location routes also meet the store's (``WouldUnderflow``...), and there an unknown SKU
named in the path or in a movement is a missing resource (404) rather than a bad order
line (422). Routers opt in with ``APIRouter(route_class=StoreRoute)``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from adapters.store import InvalidQuantity, WouldUnderflow
from domain.errors import UnknownSku
from services.errors import LocationExists, SkuExists
from starter.api.errors import validation_error


class UnsupportedMediaType(Exception):
    """A body in a format the endpoint does not read."""


_STATUS: dict[type[Exception], int] = {
    WouldUnderflow: 409,
    LocationExists: 409,
    SkuExists: 409,
    UnknownSku: 404,
    UnsupportedMediaType: 415,
}


def error_response(status: int, exc: Exception) -> JSONResponse:
    """The API's error body: a message a person can act on, and the error's type."""
    return JSONResponse(
        status_code=status, content={"message": str(exc), "error": type(exc).__name__}
    )


class StoreRoute(APIRoute):
    """An ``APIRoute`` that answers the store's errors itself (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except InvalidQuantity as exc:
                return validation_error(
                    [{"loc": ["body"], "msg": str(exc), "type": "invalid_quantity"}]
                )
            except tuple(_STATUS) as exc:
                status = next(s for t, s in _STATUS.items() if isinstance(exc, t))
                return error_response(status, exc)

        return handle
