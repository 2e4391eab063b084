"""One view of every unit (per SKU, per location, and its ledger), and the movements that
change it: receipts, adjustments, cycle counts and bulk syncs from a WMS or store system.

Every movement is recorded with the caller as its actor. A movement that raises the
availability of a SKU wakes the backordered orders waiting for it, after it commits.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from adapters.store import LedgerRow
from domain.access import Principal, Right
from domain.models import ID_PATTERN
from domain.routing.rules import Rules, default_rules
from services import stock
from services.errors import NotFound
from services.network import known_location
from services.stock import SkuInventory, SkuStock
from starter.api.auth import Allowed, CallerDep
from starter.api.deps import GatewayDep, StoreDep
from starter.api.errors import error_responses
from starter.api.inventory_sync import SYNC_REQUEST_BODY, SyncChange, SyncResult, read_counts
from starter.api.params import LocationIdPath, SkuPath
from starter.api.schemas import Adjustment, Count, Receipt
from starter.api.store_errors import StoreRoute

log = logging.getLogger(__name__)

router = APIRouter(prefix="/inventory", tags=["inventory"], route_class=StoreRoute)

MAX_PAGE = 1000
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,200}$"
"""What a cursor this API hands out looks like (url-safe base64, unpadded)."""


class LocationInventory(BaseModel):
    """One page of a location's stock, by SKU."""

    location_id: str
    items: list[SkuStock]
    total: int = Field(description="SKU balances the location has, over all pages")
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page"
    )


class LedgerPage(BaseModel):
    """One page of a balance's movements, newest first."""

    location_id: str
    sku: str
    entries: list[LedgerRow]
    next_cursor: str | None = None


class MovementResult(BaseModel):
    """The balance after the movement, and the backordered orders it woke."""

    balance: SkuStock
    woken_orders: list[str] = Field(
        default_factory=list, description="Backordered orders told that this SKU arrived"
    )


# --- reading ----------------------------------------------------------------------------


Cursor = Annotated[str | None, Query(pattern=CURSOR_PATTERN, description="From the previous page")]


@router.get(
    "",
    response_model=LocationInventory,
    responses=error_responses(
        404, 422, e404="Unknown location", e422="Invalid query (a cursor this list did not give)"
    ),
    dependencies=[Allowed(Right.READ_STOCK, at_location=True)],
)
async def location_inventory(
    request: Request,
    store: StoreDep,
    location_id: Annotated[
        str,
        Query(pattern=ID_PATTERN, max_length=64, description="The location whose stock to list"),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Cursor = None,
    offset: Annotated[
        int | None, Query(ge=0, le=100_000_000, description="Instead of `cursor`")
    ] = None,
) -> LocationInventory:
    """A location's whole stock by SKU, a page at a time (`cursor`, or `offset`)."""
    if cursor is not None and offset is not None:
        raise _bad_query("cursor", "give either cursor or offset, not both", "inconsistent")
    after = _decode_cursor(cursor, "sku") if cursor is not None else None
    catalog = request.app.state.catalog

    def read() -> stock.StockPage:
        rules = _rules(request)
        return stock.location_stock(
            store, catalog, rules, location_id, after_sku=after, offset=offset or 0, limit=limit
        )

    page = await run_in_threadpool(read)
    items = page.items
    return LocationInventory(
        location_id=location_id,
        items=items,
        total=page.total,
        next_cursor=_encode_cursor("sku", items[-1].sku) if page.more and items else None,
    )


@router.get(
    "/{location_id}/{sku}/ledger",
    response_model=LedgerPage,
    responses=error_responses(
        404, 422, e404="Unknown location or SKU", e422="A cursor this list did not give"
    ),
    dependencies=[Allowed(Right.READ_STOCK, at_location=True)],
)
async def ledger(
    location_id: LocationIdPath,
    sku: SkuPath,
    request: Request,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Cursor = None,
) -> LedgerPage:
    """Every movement of one balance, newest first: kind, deltas, reason, reference, actor."""
    before = int(_decode_cursor(cursor, "id")) if cursor is not None else None
    catalog = request.app.state.catalog

    def read() -> stock.LedgerSlice:
        return stock.ledger(store, catalog, location_id, sku, limit=limit, before_id=before)

    found = await run_in_threadpool(read)
    entries = found.entries
    return LedgerPage(
        location_id=location_id,
        sku=sku,
        entries=entries,
        next_cursor=_encode_cursor("id", str(entries[-1].id)) if found.more and entries else None,
    )


@router.get(
    "/{sku}",
    response_model=SkuInventory,
    responses=error_responses(404, 422, e404="Unknown SKU"),
    dependencies=[Allowed(Right.READ_INVENTORY)],
)
async def sku_inventory(sku: SkuPath, request: Request, store: StoreDep) -> SkuInventory:
    """Where the SKU is, and how much of it can still be promised (after safety stock)."""

    def read() -> SkuInventory:
        network = request.app.state.catalog.network()
        return stock.sku_inventory(store, network, _rules(request), sku)

    return await run_in_threadpool(read)


# --- movements --------------------------------------------------------------------------

_MOVEMENT_RESPONSES = error_responses(
    400,
    404,
    409,
    422,
    e404="Unknown location or SKU",
    e409="It would take on_hand below zero or below the units reserved",
    e422="Invalid body; the message names the field",
)


@router.post("/receipts", response_model=MovementResult, responses=_MOVEMENT_RESPONSES)
async def receive(
    receipt: Receipt, request: Request, store: StoreDep, gateway: GatewayDep, caller: CallerDep
) -> MovementResult:
    """Units arrived: on_hand goes up; backordered orders waiting for the SKU are woken."""
    caller.check(Right.COUNT_STOCK, receipt.location_id)  # a location receives only its own
    moved = await stock.receive(
        store,
        gateway,
        request.app.state.catalog,
        receipt.location_id,
        receipt.sku,
        receipt.quantity,
        reference=receipt.reference,
        actor=caller.actor,
    )
    return _answer(request, moved)


@router.post("/adjustments", response_model=MovementResult, responses=_MOVEMENT_RESPONSES)
async def adjust(
    adjustment: Adjustment,
    request: Request,
    store: StoreDep,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.ADJUST_STOCK)],
) -> MovementResult:
    """Add or remove units with a reason; 409 if on_hand would drop below reserved or zero."""
    moved = await stock.adjust(
        store,
        gateway,
        request.app.state.catalog,
        adjustment.location_id,
        adjustment.sku,
        adjustment.delta,
        reason=adjustment.reason,
        reference=adjustment.reference,
        actor=caller.actor,
    )
    return _answer(request, moved)


@router.put("/{location_id}/{sku}", response_model=MovementResult, responses=_MOVEMENT_RESPONSES)
async def count(
    location_id: LocationIdPath,
    sku: SkuPath,
    counted: Count,
    request: Request,
    store: StoreDep,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.COUNT_STOCK, at_location=True)],
) -> MovementResult:
    """A cycle count sets on_hand (the ledger keeps the difference); 409 below reserved."""
    moved = await stock.count_one(
        store,
        gateway,
        request.app.state.catalog,
        location_id,
        sku,
        counted.on_hand,
        reason=counted.reason,
        reference=counted.reference,
        actor=caller.actor,
    )
    return _answer(request, moved)


@router.post(
    "/{location_id}/sync",
    response_model=SyncResult,
    openapi_extra=SYNC_REQUEST_BODY,
    responses={**_MOVEMENT_RESPONSES, **error_responses(415)},
)
async def sync(
    location_id: LocationIdPath,
    request: Request,
    store: StoreDep,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.COUNT_STOCK, at_location=True)],
) -> SyncResult:
    """A WMS or store system's counts for one location (JSON, or CSV `sku,on_hand`), applied
    in one transaction: all of them, or none (409 naming the SKU whose count is too low)."""
    counts = await read_counts(request)
    catalog = request.app.state.catalog

    def check() -> None:
        known_location(catalog, location_id)
        skus = catalog.skus()
        for i, line in enumerate(counts.counts):
            if line.sku not in skus:
                raise NotFound(f"counts[{i}].sku: unknown SKU {line.sku!r}")

    await run_in_threadpool(check)
    counted = await stock.count(
        store,
        gateway,
        catalog,
        location_id,
        {line.sku: line.on_hand for line in counts.counts},
        reason=counts.reason,
        reference=counts.reference,
        actor=caller.actor,
    )
    applied = counted.applied
    changed = [
        SyncChange(sku=b.sku, before=b.on_hand - delta, after=b.on_hand, delta=delta)
        for b, delta in applied
        if delta
    ]
    return SyncResult(
        location_id=location_id,
        counted=len(applied),
        changed=changed,
        unchanged=len(applied) - len(changed),
        woken_orders=counted.woken,
    )


# --- helpers ----------------------------------------------------------------------------


def _answer(request: Request, moved: stock.Moved) -> MovementResult:
    """The answer to one movement: the balance after it, and the orders it woke."""
    location = request.app.state.catalog.location(moved.balance.location_id)
    balance = stock.sku_stock_at(moved.balance, location, _rules(request))
    return MovementResult(balance=balance, woken_orders=moved.woken)


def _rules(request: Request) -> Rules:
    return request.app.state.rules() or default_rules()


def _encode_cursor(kind: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


_IDS = re.compile(r"^[0-9]{1,18}$")  # a ledger row's id: ASCII digits, within a BIGINT


def _decode_cursor(cursor: str, kind: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    found, sep, value = text.partition(":")
    if found != kind or not sep or (kind == "id" and not _IDS.match(value)):
        raise _bad_query(
            "cursor", "not a cursor this list handed out; start again without it", "invalid_cursor"
        )
    return value


def _bad_query(name: str, message: str, kind: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("query", name), "msg": message, "type": kind, "input": None}]
    )
