"""One view of every unit: per location and across the network."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from domain.routing.rules import default_rules, safety_stock_for
from starter.api.deps import StoreDep
from starter.api.errors import NotFound

router = APIRouter(prefix="/inventory", tags=["inventory"])


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


@router.get("/{sku}", response_model=SkuInventory, responses={404: {"description": "Unknown SKU"}})
async def sku_inventory(sku: str, request: Request, store: StoreDep) -> SkuInventory:
    """Where the SKU is, and how much of it can still be promised (after safety stock)."""
    catalog = request.app.state.catalog

    def read() -> SkuInventory:
        if sku not in catalog.skus():
            raise NotFound(f"unknown SKU {sku!r}")
        rules = request.app.state.rules() or default_rules()
        rows = []
        for balance in store.balances(sku):
            location = catalog.location(balance.location_id)
            safety = safety_stock_for(location, rules) if location else 0
            rows.append(
                LocationStock(
                    location_id=balance.location_id,
                    on_hand=balance.on_hand,
                    reserved=balance.reserved,
                    safety_stock=safety,
                    available=max(0, balance.on_hand - balance.reserved - safety),
                )
            )
        return SkuInventory(
            sku=sku,
            on_hand=sum(r.on_hand for r in rows),
            reserved=sum(r.reserved for r in rows),
            available=sum(r.available for r in rows),
            locations=rows,
        )

    return await run_in_threadpool(read)
