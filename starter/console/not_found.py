"""A console address that leads nowhere answers a page in the console's layout, with a
way back, instead of the API's JSON (which API paths keep)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from domain.access import NotAuthenticated, Principal
from starter.console.headers import PREFIX, STATIC_PREFIX
from starter.console.session import SESSION_COOKIE
from starter.console.web import UNAVAILABLE, is_htmx, render

_Handler = Callable[[Request, Exception], Awaitable[Response]]

_MESSAGES = {
    404: "There is no such page in the console. The address may be mistyped, or the page moved.",
    405: "This page cannot be used that way: open it from the console's menu.",
}


def is_console_page(path: str) -> bool:
    return (path == PREFIX or path.startswith(PREFIX + "/")) and not path.startswith(STATIC_PREFIX)


async def _signed_in(request: Request) -> Principal | None:
    """Who the session cookie stands for, if anyone: the page keeps the menu and Sign out."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        principal: Principal = await run_in_threadpool(
            request.app.state.authenticator.principal, token
        )
    except NotAuthenticated:
        return None
    except UNAVAILABLE:  # the database is down: still a page, without the menu
        return None
    return principal


def install_not_found(app: FastAPI) -> None:
    """Answer Starlette's own refusals (no such path, wrong method) under ``/console`` as
    pages; every other path keeps the handler installed before (the API's JSON)."""
    api_handler: _Handler = app.exception_handlers[HTTPException]  # type: ignore[assignment]

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if not is_console_page(request.url.path) or exc.status_code not in _MESSAGES:
            return await api_handler(request, exc)
        template = "_answer.html" if is_htmx(request) else "error.html"
        return render(
            request,
            template,
            await _signed_in(request),
            status_code=exc.status_code,
            headers=dict(exc.headers) if exc.headers else None,
            ok=False,
            status=exc.status_code,
            title="Page not found" if exc.status_code == 404 else "Not allowed here",
            message=_MESSAGES[exc.status_code],
        )

    app.add_exception_handler(HTTPException, handle)
