"""Loading and changing the network (SKUs, locations, policy); each change bumps its version."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from adapters.store import network_codec
from adapters.store.tables import LocationChangeRow, StockRow
from adapters.store.unit_of_work import UnitOfWork
from adapters.store.views import LocationChange, MovementKind
from domain.errors import UnknownLocation, UnknownSku
from domain.models import Location, Network, Sku

_SETTINGS = set(network_codec.LOCATION_FIELDS)  # what a location's creation notes


def load_network(uow: UnitOfWork, network: Network, actor: str) -> bool:
    """Insert the whole network into an empty store; False (and nothing done) otherwise."""
    if uow.catalogue.has_locations():
        return False
    for i, sku in enumerate(network.skus):
        uow.catalogue.add(network_codec.sku_row(sku, i))
    for i, location in enumerate(network.locations):
        uow.catalogue.add(network_codec.location_row(location, i))
    uow.flush()  # the stock rows' foreign keys need them
    for location in network.locations:
        _initial_stock(uow, location, actor)
        _note_change(uow, location, _SETTINGS, actor)
    for key, value in network_codec.policy(network).items():
        uow.catalogue.set_meta(key, value)
    uow.catalogue.bump_network_version()
    return True


def network(uow: UnitOfWork) -> Network:
    stock: dict[str, dict[str, int]] = {}
    for row in uow.inventory.all_balances():
        stock.setdefault(row.location_id, {})[row.sku] = row.on_hand
    policy = {key: uow.catalogue.get_meta(key) for key in network_codec.POLICY_KEYS}
    return network_codec.rebuild_network(
        uow.catalogue.skus(), uow.catalogue.locations(), stock, policy
    )


def add_sku(uow: UnitOfWork, sku: Sku) -> bool:
    """Add a SKU to the catalogue; False if it is already there (unchanged)."""
    if uow.catalogue.sku(sku.sku) is not None:
        return False
    uow.catalogue.add(network_codec.sku_row(sku, len(uow.catalogue.skus())))
    uow.catalogue.bump_network_version()
    return True


def update_sku(uow: UnitOfWork, sku: str, changes: dict[str, Any]) -> Sku:
    """Change a SKU's name or weight (validated as a ``Sku`` first: a bad value changes
    nothing). Raises ``UnknownSku``."""
    row = uow.catalogue.sku(sku)
    if row is None:
        raise UnknownSku(f"unknown SKU {sku!r}", "sku")
    current = {
        "sku": row.sku,
        "weight_lb": row.weight_lb,
        "name": row.name,
        "image_url": row.image_url,
    }
    updated = Sku.model_validate({**current, **changes, "sku": row.sku})
    row.weight_lb, row.name, row.image_url = updated.weight_lb, updated.name, updated.image_url
    uow.catalogue.bump_network_version()
    return updated


def add_location(uow: UnitOfWork, location: Location, actor: str) -> bool:
    """Add a location (its stock as receipts); False if the id is taken (unchanged)."""
    if uow.catalogue.location(location.id) is not None:
        return False
    unknown = sorted(set(location.stock) - uow.catalogue.sku_ids())
    if unknown:
        raise UnknownSku(f"location {location.id} stocks unknown SKU(s) {unknown}", "stock")
    uow.catalogue.add(network_codec.location_row(location, len(uow.catalogue.locations())))
    uow.flush()
    _initial_stock(uow, location, actor)
    _note_change(uow, location, _SETTINGS, actor)
    uow.catalogue.bump_network_version()
    return True


def update_location(
    uow: UnitOfWork, location_id: str, changes: dict[str, Any], actor: str
) -> Location:
    """Change a location's fields (not its stock: that moves through the ledger).

    The result is validated as a ``Location`` first, so a bad value changes nothing.
    Raises ``UnknownLocation``, or ``ValueError`` naming the field.
    """
    row = uow.catalogue.location(location_id)
    if row is None:
        raise UnknownLocation(f"unknown location {location_id!r}")
    if "stock" in changes or "id" in changes:
        raise ValueError("a location's id and stock cannot be changed this way")
    current = {name: getattr(row, name) for name in network_codec.LOCATION_FIELDS}
    updated = Location.model_validate({**current, **changes})
    for name, value in network_codec.location_row(updated, row.position).model_dump().items():
        setattr(row, name, value)
    _note_change(uow, updated, set(changes), actor)
    uow.catalogue.bump_network_version()
    return updated


def _note_change(uow: UnitOfWork, location: Location, fields: set[str], actor: str) -> None:
    """The location's history: the fields set, as they now read (a secret never kept)."""
    values = location.model_dump(mode="json", include=fields)
    if isinstance(values.get("adapter"), dict) and values["adapter"].get("secret"):
        values["adapter"]["secret"] = "***"
    uow.catalogue.add(LocationChangeRow(location_id=location.id, actor=actor, changes=values))


def location_history(uow: UnitOfWork, location_id: str, limit: int) -> list[LocationChange]:
    """A location's settings changes, the newest first."""
    query = (
        sa.select(LocationChangeRow)
        .where(col(LocationChangeRow.location_id) == location_id)
        .order_by(col(LocationChangeRow.id).desc())
        .limit(limit)
    )
    return [
        LocationChange(at=row.at, actor=row.actor, changes=row.changes)
        for row in uow.session.scalars(query)
    ]


def _initial_stock(uow: UnitOfWork, location: Location, actor: str) -> None:
    for sku, units in sorted(location.stock.items()):
        uow.catalogue.add(StockRow(location_id=location.id, sku=sku, on_hand=units))
        if units:
            uow.inventory.record(
                MovementKind.RECEIPT,
                location.id,
                sku,
                on_hand=units,
                reason="initial stock",
                reference="network load",
                actor=actor,
            )
