"""What the API and the console both say about an error: its status, and a 422's
problems in words.

The JSON API (``starter.api.errors``) and the web console (``starter.console.web``)
answer the same business errors with the same status; this is the one place that says
which, so neither has to import the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.access import InvalidToken, NotAllowed
from domain.errors import (
    CancelRefused,
    HoldRefused,
    InvalidOrder,
    InvalidTransition,
    OrderConflict,
    OutOfStock,
    RepairRefused,
    RerouteRefused,
    ReturnEventRefused,
    ReturnRefused,
    UnknownFulfillment,
    UnknownLocation,
    UnknownReturn,
)
from services.errors import NotFound
from services.personal import CustomerHasOpenOrders
from starter.gateway.orders import UnknownOrder

# How long a caller told "cannot answer now" (503) should wait before trying again.
RETRY_AFTER_SECONDS = "5"

STATUS: dict[type[Exception], int] = {
    NotFound: 404,
    UnknownOrder: 404,
    UnknownFulfillment: 404,
    UnknownLocation: 404,
    InvalidTransition: 409,
    OrderConflict: 409,
    CancelRefused: 409,
    RerouteRefused: 409,
    HoldRefused: 409,
    RepairRefused: 409,
    ReturnRefused: 409,
    ReturnEventRefused: 409,
    UnknownReturn: 404,
    OutOfStock: 409,
    CustomerHasOpenOrders: 409,
    NotAllowed: 403,
}
"""The status each business error is answered with (``InvalidOrder`` and ``InvalidToken``
are 422s that name the field: see ``status_for``)."""


def status_for(exc: Exception) -> int | None:
    """The status a business error is answered with (None: not a business error); the
    web console shows the same errors as pages."""
    if isinstance(exc, InvalidOrder | InvalidToken):
        return 422
    return next((status for kind, status in STATUS.items() if isinstance(exc, kind)), None)


def field_path(loc: Sequence[str | int]) -> str:
    """``("body", "lines", 0, "quantity")`` -> ``lines[0].quantity``."""
    out = ""
    for part in loc:
        if part == "body" and not out:
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def problems_of(errors: Sequence[Any]) -> list[dict[str, object]]:
    """Pydantic's errors as the API reports them: where, what (in words), which kind."""
    return [
        {
            "loc": list(e["loc"]),
            "msg": str(e["msg"]).removeprefix("Value error, "),
            "type": e["type"],
        }
        for e in errors
    ]


def problems_message(problems: list[dict[str, object]]) -> str:
    """``lines[0].quantity: Input should be greater than 0; ...``"""
    return "; ".join(f"{field_path(p['loc'])}: {p['msg']}" for p in problems)  # type: ignore[arg-type]
