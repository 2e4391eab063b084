"""Returns, as support and the return locations use them: authorize lines of a shipped
order, read a return, report what came back.

The rules are ``domain/returns.py``'s; this is the order of the steps: read the order's
final state, decide and keep the return in the store in one transaction (race-safe),
then start its workflow.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Protocol

from adapters.store.errors import StoreUnavailable
from adapters.store.return_book import ReturnBook
from adapters.store.returns import ReturnDraft, ReturnRecord
from domain.access import Principal, Role
from domain.errors import UnknownReturn
from domain.ids import order_id_of_return, return_id
from domain.return_states import ReturnSummary
from domain.returns import ReturnReceipt, ReturnReport, ReturnRequest, ReturnView, authorize
from domain.returns import return_location as nearest_return_location
from services.ports import NetworkCatalog, OrderReader

log = logging.getLogger(__name__)


class ReturnWorkflows(Protocol):
    """Where returns run (``starter.gateway.returns.ReturnGateway``)."""

    async def start(self, view: ReturnView, subscribed: list[str]) -> bool: ...

    async def report(
        self, view: ReturnView, location_id: str, report: ReturnReport, *, actor: str
    ) -> ReturnReceipt: ...

    async def get(self, view: ReturnView) -> ReturnView: ...


def view_of(record: ReturnRecord) -> ReturnView:
    """The store's copy of a return as a view (the workflow's is fuller: its timeline)."""
    return ReturnView(
        return_id=record.return_id,
        order_id=record.order_id,
        status=record.status,
        location_id=record.location_id,
        currency=record.currency,
        lines=record.authorized_lines(),
        authorized_at=record.created_at,
        authorized_by=record.actor,
        request_id=record.request_id,
    )


async def authorize_return(
    store: ReturnBook,
    orders: OrderReader,
    workflows: ReturnWorkflows,
    catalog: NetworkCatalog,
    order_id: str,
    request: ReturnRequest,
    *,
    actor: str,
    window: timedelta,
    subscribed: list[str],
) -> tuple[ReturnView, bool]:
    """Authorize the return (or answer the one ``request.request_id`` made); (it, created).

    Raises ``UnknownOrder`` (404), ``InvalidOrder`` naming the field (422: an unknown
    line or location), ``ReturnRefused`` (409: never shipped, more than shipped less
    earlier returns, past ``window``, a location that takes no returns)."""
    order = await orders.get_order(order_id)
    network = await asyncio.to_thread(catalog.network)
    location = nearest_return_location(network, order.ship_to.point, request.return_to)
    now = datetime.now(UTC)

    def decide(earlier: dict[str, int], number: int) -> ReturnDraft:
        lines = authorize(order, request, earlier, now=now, window=window)
        return ReturnDraft(location.id, order.currency, lines, actor)

    record, created = await asyncio.to_thread(
        store.authorize_return,
        order_id,
        decide,
        lambda n: return_id(order_id, n),
        request_id=request.request_id,
    )
    view = view_of(record)
    # A repeat starts it too: the first may have crashed between the store and Temporal.
    await workflows.start(view, subscribed)
    return view, created


async def stored_return(store: ReturnBook, return_id_: str, caller: Principal) -> ReturnView:
    """The store's copy of a return the caller may see; ``UnknownReturn`` (404) for one
    that does not exist or (for a location's token) goes back to another location."""
    try:
        order_id_of_return(return_id_)
    except ValueError:
        raise UnknownReturn.named(return_id_) from None
    record = await asyncio.to_thread(store.return_record, return_id_)
    if record is None or (
        caller.role is Role.LOCATION and caller.location_id != record.location_id
    ):
        raise UnknownReturn.named(return_id_)
    return view_of(record)


async def get_return(
    store: ReturnBook, workflows: ReturnWorkflows, return_id_: str, caller: Principal
) -> ReturnView:
    """The return, as its workflow knows it (the store's copy if the workflow cannot say)."""
    return await workflows.get(await stored_return(store, return_id_, caller))


async def report_received(
    store: ReturnBook,
    workflows: ReturnWorkflows,
    location_id: str,
    return_id_: str,
    report: ReturnReport,
    caller: Principal,
) -> ReturnReceipt:
    """The return location opened the parcel. Another location's return is the same 404
    as a missing one."""
    view = await stored_return(store, return_id_, caller)
    if view.location_id != location_id:
        raise UnknownReturn.named(return_id_)
    return await workflows.report(view, location_id, report, actor=caller.actor)


async def returns_of(store: ReturnBook, order_id: str) -> list[ReturnSummary]:
    """The order's returns in a line each, from the store (one indexed read). The order
    itself is Temporal's: while the database cannot answer it still reads, without its
    returns (logged), as checkout and location events go on through a database restart."""
    try:
        records = await asyncio.to_thread(store.returns_of, order_id)
    except StoreUnavailable as exc:
        log.warning("order %s read without its returns: %s", order_id, exc)
        return []
    return [view_of(r).summary() for r in records]


async def awaited_at(store: ReturnBook, location_id: str) -> list[ReturnView]:
    """Returns on their way to ``location_id`` (the location's queue)."""
    records = await asyncio.to_thread(store.returns_to, location_id)
    return [view_of(r) for r in records]
