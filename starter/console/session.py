"""Signing in to the console: the API's bearer token kept in a cookie, and CSRF checks.

The cookie holds the token itself (HttpOnly, so no script reads it; SameSite=Strict, so
no other site's page sends it; Secure over https). Every POST carries a CSRF token: an
HMAC of the cookie's value under a server secret, so it is per session, needs no
storage, and cannot be computed by a page that cannot read the cookie. The sign-in form,
which has no session yet, is bound the same way to a random cookie of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from domain.access import NotAuthenticated, Principal

SESSION_COOKIE = "sy_console"
LOGIN_COOKIE = "sy_console_login"  # binds the sign-in form's CSRF token before a session exists
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"  # htmx sends it on every request (hx-headers on <body>)
SESSION_SECONDS = 12 * 3600  # the browser forgets the cookie; the token's own expiry still rules


class SignInRequired(Exception):
    """No session cookie, or one whose token is unknown, expired or revoked."""


class CsrfRefused(Exception):
    """A POST without the CSRF token of its session, or from another origin (HTTP 403)."""


def console_secret(search_hash_key: bytes) -> bytes:
    """The CSRF secret, derived from a key every API process already shares (so any of
    them accepts a form another served), and never the key itself."""
    return hmac.new(search_hash_key, b"switchyard console csrf v1", hashlib.sha256).digest()


def csrf_token(secret: bytes, bound_to: str) -> str:
    """The CSRF token of the session (or sign-in form) whose cookie holds ``bound_to``."""
    return hmac.new(secret, bound_to.encode(), hashlib.sha256).hexdigest()


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    """A console cookie: HttpOnly, SameSite=Strict, Secure over https, for /console only."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def forget_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path="/console", httponly=True, samesite="strict", secure=is_https(request)
    )


def login_nonce(request: Request) -> tuple[str, bool]:
    """The sign-in form's random binding: (value, whether it is new and must be set)."""
    found = request.cookies.get(LOGIN_COOKIE)
    if found and 20 <= len(found) <= 100:
        return found, False
    return secrets.token_urlsafe(24), True


def session_csrf(request: Request) -> str:
    """The CSRF token the current page's forms carry."""
    bound = request.cookies.get(SESSION_COOKIE) or request.cookies.get(LOGIN_COOKIE) or ""
    return csrf_token(request.app.state.console_secret, bound)


async def check_csrf(request: Request, *, bound_to: str | None = None) -> None:
    """Refuse a POST unless it carries its session's CSRF token and, when the browser
    names an origin, comes from this one. ``bound_to``: the cookie value the token is
    bound to (default: the session cookie)."""
    origin = request.headers.get("origin")
    host = request.headers.get("host", "").lower()
    if origin and origin != "null" and urlsplit(origin).netloc.lower() != host:
        raise CsrfRefused("this form was sent from another site")
    bound = bound_to if bound_to is not None else request.cookies.get(SESSION_COOKIE, "")
    given = request.headers.get(CSRF_HEADER)
    if not given:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    expected = csrf_token(request.app.state.console_secret, bound)
    if not bound or not given or not hmac.compare_digest(given, expected):
        raise CsrfRefused("the form's security token is missing or stale: reload the page")


async def console_caller(request: Request) -> Principal:
    """The principal behind the session cookie; ``SignInRequired`` (a redirect to the
    sign-in page) when there is none or its token no longer works."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired("sign in")
    try:
        principal: Principal = await run_in_threadpool(
            request.app.state.authenticator.principal, token
        )
    except NotAuthenticated as exc:
        raise SignInRequired(str(exc)) from None
    request.state.console_principal = principal  # for the menu of an error page
    return principal


async def console_poster(
    request: Request, principal: Annotated[Principal, Depends(console_caller)]
) -> Principal:
    """``console_caller`` for a POST: the CSRF token checked too."""
    await check_csrf(request)
    return principal


def sign_in_url(request: Request) -> str:
    """The sign-in page, coming back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/console/login?next={quote(here, safe='')}"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only, never another site."""
    if not target or not target.startswith("/console") or target.startswith("//"):
        return "/console"
    if "\\" in target or any(ord(c) < 32 for c in target):
        return "/console"
    return target


ConsoleCaller = Annotated[Principal, Depends(console_caller)]
ConsolePoster = Annotated[Principal, Depends(console_poster)]
