"""The routing rules: the version in force, its history, a diff between two versions;
for operations an editor that validates and a rollback to an earlier version."""

from __future__ import annotations

import asyncio
import difflib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from adapters.rules_book import RulesBook, RulesVersion, UnknownRulesVersion
from domain.access import Principal, Right
from domain.orders import OrderView
from domain.routing.rules import Rules, RulesError, parse_rules
from services.dry_run import DryRun, as_placed, dry_run
from services.errors import NotFound
from services.ports import OrderGateway
from starter.console.session import ConsoleCaller, ConsolePoster
from starter.console.web import ConsoleRoute, Refused, is_htmx, render

router = APIRouter(prefix="/console/rules", include_in_schema=False, route_class=ConsoleRoute)

HISTORY = 30  # versions listed, newest first
MAX_RULES_TEXT = 200_000  # characters of YAML the editor takes
DRY_RUN_ORDERS = 200  # the most recent orders a dry run replays (one search)
DRY_RUN_READS = 16  # orders read from Temporal at once


def as_yaml(version: RulesVersion) -> str:
    """The rules as the editor shows them (the YAML `dom simulate --rules` reads too)."""
    data = version.rules.model_dump(mode="json", exclude={"version"})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def diff(old: RulesVersion, new: RulesVersion) -> list[tuple[str, str]]:
    """(kind, line) of a unified diff from ``old`` to ``new``: kind ``add``, ``del``,
    ``hunk`` or ``same``."""
    lines = difflib.unified_diff(
        as_yaml(old).splitlines(), as_yaml(new).splitlines(),
        f"version {old.version}", f"version {new.version}", lineterm="", n=3,
    )  # fmt: skip
    out = []
    for line in list(lines)[2:]:  # the two file headers say what the page already does
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line))
    return out


def _book(request: Request) -> RulesBook:
    book: RulesBook = request.app.state.rules_book
    return book


def _version(book: RulesBook, number: int) -> RulesVersion:
    try:
        return book.version(number)
    except UnknownRulesVersion as exc:
        raise NotFound(str(exc)) from None


def _page(request: Request, a: int | None, b: int | None) -> dict[str, Any]:
    book = _book(request)
    current = book.current_version()
    history = [book.version(v) for v in range(current, max(current - HISTORY, -1), -1)]
    new = _version(book, b if b is not None else current)
    old = _version(book, a if a is not None else max(new.version - 1, 0))
    return {
        "current": history[0],
        "history": history,
        "old": old,
        "new": new,
        "changes": diff(old, new) if old.version != new.version else [],
        "text": as_yaml(history[0]),
    }


@router.get("", response_class=HTMLResponse)
async def rules_page(
    request: Request, me: ConsoleCaller, a: int | None = None, b: int | None = None,
    installed: int | None = None,
) -> HTMLResponse:  # fmt: skip
    """The rules in force, their history, and what changed from ``a`` to ``b``."""
    me.check(Right.READ_RULES)
    context = await run_in_threadpool(_page, request, a, b)
    return render(request, "rules.html", me, installed=installed, **context)


def _installed(request: Request, version: RulesVersion) -> Response:
    target = f"/console/rules?installed={version.version}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _install(request: Request, me: Principal, data: object) -> RulesVersion:
    try:
        return _book(request).replace(data, actor=me.actor)
    except RulesError as exc:
        raise InvalidRules(str(exc)) from None


class InvalidRules(Refused):
    """The editor's text is not usable rules (a 422, the message naming the field)."""


def _parsed(text: str) -> Rules:
    try:
        return parse_rules(yaml.safe_load(text), "rules")
    except yaml.YAMLError as exc:
        raise InvalidRules(f"not valid YAML: {exc}") from None
    except RulesError as exc:
        raise InvalidRules(str(exc)) from None


async def recent_orders(request: Request, days: int) -> list[OrderView]:
    """Orders placed in the last ``days`` days (at most ``DRY_RUN_ORDERS``), oldest first."""
    gateway: OrderGateway = request.app.state.gateway
    since = datetime.now(UTC) - timedelta(days=days)
    found = await gateway.find_orders(placed_after=since, limit=DRY_RUN_ORDERS)
    gate = asyncio.Semaphore(DRY_RUN_READS)

    async def read(order_id: str) -> OrderView | None:
        async with gate:
            try:
                return await gateway.get_order(order_id)
            except Exception:  # one unreadable order does not stop the dry run
                return None

    views = await asyncio.gather(*(read(o.order_id) for o in reversed(found)))
    return [v for v in views if v is not None]


@router.post("/dry-run", response_class=HTMLResponse)
async def try_rules(
    request: Request,
    me: ConsolePoster,
    rules: Annotated[str, Form(max_length=MAX_RULES_TEXT)] = "",
    days: Annotated[int, Form(ge=1, le=30)] = 3,
) -> HTMLResponse:
    """Route the last ``days`` days' orders again against the stock on the shelves now,
    under the rules in force and under the edited ones; install nothing."""
    me.check(Right.MANAGE_RULES)
    proposed = await run_in_threadpool(_parsed, rules)
    orders = [as_placed(v) for v in await recent_orders(request, days)]

    def run() -> DryRun:
        network = request.app.state.store.network()  # on hand now, not the cached catalogue
        return dry_run(network, orders, _book(request).current(), proposed)

    result = await run_in_threadpool(run)
    template = "_dry_run.html" if is_htmx(request) else "dry_run_page.html"
    return render(request, template, me, run=result, days=days)


@router.post("", response_class=HTMLResponse, response_model=None)
async def install(
    request: Request,
    me: ConsolePoster,
    rules: Annotated[str, Form(max_length=MAX_RULES_TEXT)] = "",
) -> Response:
    """Validate the edited rules as ``PUT /routing/rules`` does and install them as the
    next version; a refusal names the field."""
    me.check(Right.MANAGE_RULES)
    try:
        data = yaml.safe_load(rules)
    except yaml.YAMLError as exc:
        raise InvalidRules(f"not valid YAML: {exc}") from None
    version = await run_in_threadpool(_install, request, me, data)
    return _installed(request, version)


@router.post("/{version}/rollback", response_class=HTMLResponse, response_model=None)
async def rollback(request: Request, me: ConsolePoster, version: int) -> Response:
    """Install an earlier version's rules again, as the next version (history is kept)."""
    me.check(Right.MANAGE_RULES)
    earlier = await run_in_threadpool(_version, _book(request), version)
    data = earlier.rules.model_dump(mode="json", exclude={"version"})
    installed = await run_in_threadpool(_install, request, me, data)
    return _installed(request, installed)
