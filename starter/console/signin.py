"""Sign in with a token (the API's), sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.access import NotAuthenticated, Principal, Role
from starter.console.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    ConsolePoster,
    check_csrf,
    csrf_token,
    forget_cookie,
    login_nonce,
    safe_next,
    set_cookie,
)
from starter.console.web import ConsoleRoute, render

router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)


def home_of(principal: Principal) -> str:
    """Where a role lands: a store's own queue, everyone else the overview."""
    if principal.role is Role.LOCATION:
        return f"/console/locations/{principal.location_id}/queue"
    return "/console"


def _login_page(request: Request, message: str | None = None, status: int = 200) -> HTMLResponse:
    nonce, new = login_nonce(request)
    response = render(
        request,
        "login.html",
        None,
        status_code=status,
        csrf=csrf_token(request.app.state.console_secret, nonce),
        message=message,
        next=safe_next(request.query_params.get("next")),
    )
    if new:
        set_cookie(response, request, LOGIN_COOKIE, nonce, max_age=3600)
    return response


@router.get("/login")
async def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


@router.post("/login")
async def login(
    request: Request,
    token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/console",
) -> Response:
    """Check the token as the API would; keep it in the session cookie."""
    await check_csrf(request, bound_to=request.cookies.get(LOGIN_COOKIE, ""))
    try:
        principal = await run_in_threadpool(
            request.app.state.authenticator.principal, token.strip()
        )
    except NotAuthenticated as exc:
        return _login_page(request, f"That token does not work: {exc}.", status=401)
    if principal.role in (Role.CHECKOUT, Role.METRICS):  # machines' tokens, no pages
        return _login_page(
            request,
            f"A {principal.role.value} token has no console pages: use a person's token.",
            status=403,
        )
    target = safe_next(next)
    if target == "/console":
        target = home_of(principal)
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, SESSION_COOKIE, token.strip(), max_age=SESSION_SECONDS)
    forget_cookie(response, request, LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request, me: ConsolePoster) -> Response:
    response = RedirectResponse("/console/login", status_code=303)
    forget_cookie(response, request, SESSION_COOKIE)
    return response
