"""Who is calling, and whether they may: bearer tokens checked against the route's right.

Every route except ``GET /health`` asks for a ``Right`` (``Allowed(Right.X)``); a route
about one location also hands the location in the path to the check, so a location's
token sees its own work and nothing else (another location's answers 404). The OpenAPI
document declares the bearer scheme, which gives ``/docs`` its Authorize button.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.access import NotAuthenticated, Principal, Right
from services.access import Authenticator
from starter.api.rate_limits import RateLimiter

_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `dom token create` (or `<data-dir>/tokens.txt` after `dom up`)",
)


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal behind the request's bearer token; ``NotAuthenticated`` (401) if none,
    ``RateLimited`` (429) when the caller (or, without a valid token, its address) has
    sent more than its limit: decided before the store or Temporal is asked anything."""
    limiter: RateLimiter | None = request.app.state.rate_limiter
    address = request.client.host if request.client else "unknown"
    try:
        principal = await _authenticate(request, credentials, limiter, address)
    except NotAuthenticated:
        if limiter is not None:
            limiter.failed_sign_in(address)  # a 429 instead, once there were too many
        raise
    if limiter is not None:
        limiter.charge(principal, request.method, request.url.path)
    return principal


async def _authenticate(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    limiter: RateLimiter | None,
    address: str,
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("send Authorization: Bearer <token>")
    authenticator: Authenticator = request.app.state.authenticator
    # Most requests carry a token read moments ago: answer those on the event loop, and
    # hop to a thread only when the store must be read.
    known = authenticator.remembered(credentials.credentials)
    if known is not None:
        return known
    if limiter is not None:
        limiter.check_sign_in(address)  # a guesser's next guess costs no database read
    return await run_in_threadpool(authenticator.principal, credentials.credentials)


def allowed(right: Right, *, at_location: bool = False) -> Callable[..., object]:
    """A dependency that returns the caller if it may use ``right``.

    ``at_location``: the route is about the location named ``location_id`` in its path
    (or query), so a location's token may use it only there (elsewhere: 404). Routes that
    name the location in their body check it themselves: ``caller.check(right, id)``."""

    async def check(
        request: Request, principal: Annotated[Principal, Depends(caller)]
    ) -> Principal:
        location_id = None
        if at_location:
            location_id = request.path_params.get("location_id") or request.query_params.get(
                "location_id"
            )
        principal.check(right, location_id)
        return principal

    check.__name__ = f"may_{right.name.lower()}"
    return check


def Allowed(right: Right, *, at_location: bool = False) -> Any:
    """``Depends(allowed(right))``, for a route's ``dependencies=[...]`` or a parameter."""
    return Depends(allowed(right, at_location=at_location))


CallerDep = Annotated[Principal, Depends(caller)]
