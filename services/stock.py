"""Stock: one view of every unit (per SKU, per location, and its ledger), and the
movements that change it (receipts, adjustments, cycle counts, bulk syncs).

Every movement is recorded with the caller as its actor; one that raises a SKU's
on-hand wakes the backordered orders waiting for it once it committed
(``services.backorders.stock_freed``). The API's stock routes and the console's stock
pages both read through here, so "available" is computed in one place.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic import BaseModel

from adapters.store import LedgerRow, StockBalance
from domain.models import Location, Network
from domain.routing.rules import Rules, safety_stock_for
from services.backorders import StockFreed, stock_freed
from services.errors import NotFound
from services.network import known_location, known_sku
from services.ports import NetworkCatalog, StockListeners, StockMovements, StockReads

# --- what is where -----------------------------------------------------------------------


class LocationStock(BaseModel):
    location_id: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


class SkuInventory(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    available: int
    locations: list[LocationStock]


class SkuStock(BaseModel):
    """One SKU's figures at one location; ``available`` is after safety stock."""

    location_id: str
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


def available(balance: StockBalance, safety: int) -> int:
    """Units that can still be promised there: on hand, less reserved and safety stock."""
    return max(0, balance.on_hand - balance.reserved - safety)


def sku_stock_at(balance: StockBalance, location: Location | None, rules: Rules) -> SkuStock:
    """One balance's figures, with the safety stock its location keeps back under ``rules``."""
    safety = safety_stock_for(location, rules) if location else 0
    return SkuStock(
        location_id=balance.location_id,
        sku=balance.sku,
        on_hand=balance.on_hand,
        reserved=balance.reserved,
        safety_stock=safety,
        available=available(balance, safety),
    )


def sku_stock(store: StockReads, network: Network, rules: Rules, sku: str) -> SkuInventory:
    """One SKU across the network, with the safety stock each location keeps back.
    Reads the store (its balances): call it off the event loop."""
    by_id = {location.id: location for location in network.locations}
    rows = []
    for balance in store.balances(sku):
        row = sku_stock_at(balance, by_id.get(balance.location_id), rules)
        rows.append(LocationStock(**row.model_dump(exclude={"sku"})))
    return SkuInventory(
        sku=sku,
        on_hand=sum(r.on_hand for r in rows),
        reserved=sum(r.reserved for r in rows),
        available=sum(r.available for r in rows),
        locations=rows,
    )


def sku_inventory(store: StockReads, network: Network, rules: Rules, sku: str) -> SkuInventory:
    """``sku_stock`` for a SKU the network has; ``NotFound`` otherwise (call off the loop)."""
    if sku not in {s.sku for s in network.skus}:
        raise NotFound(f"unknown SKU {sku!r}")
    return sku_stock(store, network, rules, sku)


@dataclass(frozen=True)
class StockPage:
    """A page of a location's balances by SKU; ``more``: another page follows."""

    items: list[SkuStock]
    total: int
    more: bool


def location_stock(
    store: StockReads,
    catalog: NetworkCatalog,
    rules: Rules,
    location_id: str,
    *,
    after_sku: str | None = None,
    offset: int = 0,
    limit: int,
) -> StockPage:
    """A location's stock by SKU, ``limit`` at a time (after ``after_sku``, or from
    ``offset``); ``UnknownLocation`` if none. Reads the store: call it off the event loop."""
    location = known_location(catalog, location_id)
    page = store.location_balances(location_id, after_sku=after_sku, offset=offset, limit=limit + 1)
    return StockPage(
        items=[sku_stock_at(b, location, rules) for b in page[:limit]],
        total=store.count_location_balances(location_id),
        more=len(page) > limit,
    )


@dataclass(frozen=True)
class LedgerSlice:
    """A balance's movements, newest first; ``more``: older ones follow."""

    entries: list[LedgerRow]
    more: bool


def ledger(
    store: StockReads,
    catalog: NetworkCatalog,
    location_id: str,
    sku: str,
    *,
    limit: int,
    before_id: int | None = None,
) -> LedgerSlice:
    """One balance's movements, newest first (older than ``before_id``); unknown location
    or SKU refused. Reads the store: call it off the event loop."""
    known_location(catalog, location_id)
    known_sku(catalog, sku)
    entries = store.ledger(location_id, sku, limit=limit + 1, before_id=before_id)
    return LedgerSlice(entries=entries[:limit], more=len(entries) > limit)


def location_ledger(
    store: StockReads, catalog: NetworkCatalog, location_id: str, *, limit: int
) -> LedgerSlice:
    """Every SKU's latest movements at a known location, newest first. Reads the store:
    call it off the event loop."""
    known_location(catalog, location_id)
    entries = store.location_ledger(location_id, limit=limit + 1)
    return LedgerSlice(entries=entries[:limit], more=len(entries) > limit)


# --- movements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    """What one movement did: the balance after it, the change in on_hand, the
    backordered orders it woke."""

    balance: StockBalance
    delta: int
    woken: list[str]


@dataclass(frozen=True)
class Counted:
    """What a count of several SKUs did: (balance after, change) each, the orders woken."""

    applied: list[tuple[StockBalance, int]]
    woken: list[str]


def rose(moved: list[tuple[StockBalance, int]]) -> list[str]:
    """The SKUs whose on_hand went up in ``moved`` (the ones worth waking orders for)."""
    return sorted({balance.sku for balance, delta in moved if delta > 0})


async def _moved(
    store: StockMovements, orders: StockListeners, balance: StockBalance, delta: int
) -> Moved:
    woken = await stock_freed(store, orders, StockFreed.of(rose([(balance, delta)])))
    return Moved(balance, delta, woken)


async def receive(
    store: StockMovements,
    orders: StockListeners,
    catalog: NetworkCatalog,
    location_id: str,
    sku: str,
    quantity: int,
    *,
    reference: str | None,
    actor: str,
) -> Moved:
    """Units arrived at a known location of a known SKU: on_hand goes up, and the orders
    backordered on the SKU are woken."""

    def move() -> StockBalance:
        known_location(catalog, location_id)
        known_sku(catalog, sku)
        return store.receive(location_id, sku, quantity, reference=reference, actor=actor)

    return await _moved(store, orders, await asyncio.to_thread(move), quantity)


async def adjust(
    store: StockMovements,
    orders: StockListeners,
    catalog: NetworkCatalog,
    location_id: str,
    sku: str,
    delta: int,
    *,
    reason: str,
    reference: str | None,
    actor: str,
) -> Moved:
    """Units found (+) or lost (-), with the reason why; ``OutOfStock`` below reserved or
    zero. Units found wake the orders backordered on the SKU."""

    def move() -> StockBalance:
        known_location(catalog, location_id)
        known_sku(catalog, sku)
        return store.adjust(
            location_id, sku, delta, reason=reason, reference=reference, actor=actor
        )

    return await _moved(store, orders, await asyncio.to_thread(move), delta)


async def count_one(
    store: StockMovements,
    orders: StockListeners,
    catalog: NetworkCatalog,
    location_id: str,
    sku: str,
    on_hand: int,
    *,
    reason: str,
    reference: str | None,
    actor: str,
) -> Moved:
    """A cycle count of one known SKU at a known location: on_hand is set (the ledger
    keeps the difference); ``OutOfStock`` below reserved. A rise wakes backordered orders."""

    def move() -> tuple[StockBalance, int]:
        known_location(catalog, location_id)
        known_sku(catalog, sku)
        [moved] = store.count_many(
            location_id, {sku: on_hand}, reason=reason, reference=reference, actor=actor
        )
        return moved

    return await _moved(store, orders, *await asyncio.to_thread(move))


async def count(
    store: StockMovements,
    orders: StockListeners,
    catalog: NetworkCatalog,
    location_id: str,
    counts: dict[str, int],
    *,
    reason: str,
    reference: str | None,
    actor: str,
) -> Counted:
    """Counted on_hand for SKUs of one known location, all in one transaction (all of
    them, or none: ``OutOfStock`` names a count below reserved). Callers check the SKUs
    (each names them its own way). SKUs whose on_hand rose wake their backordered orders."""

    def move() -> list[tuple[StockBalance, int]]:
        known_location(catalog, location_id)
        return store.count_many(
            location_id, counts, reason=reason, reference=reference, actor=actor
        )

    applied = await asyncio.to_thread(move)
    woken = await stock_freed(store, orders, StockFreed.of(rose(applied)))
    return Counted(applied, woken)
