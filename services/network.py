"""The network's locations and SKUs as callers name them: checked against the
catalogue, shown without secrets, changed by operations.

The API's routes and the console's pages both come through here, so "unknown location"
and "unknown SKU" mean the same everywhere, and a webhook's secret is hidden the same way.
"""

from __future__ import annotations

from typing import Any

from domain.errors import UnknownLocation, UnknownSku
from domain.models import Location, Sku
from services.ports import NetworkCatalog, SkuBook

REDACTED = "********"
"""What a webhook's signing secret reads as; a change that sends it back keeps the secret."""


def known_location(catalog: NetworkCatalog, location_id: str) -> Location:
    """The location named, from the catalogue; ``UnknownLocation`` (404) if none.
    Reads the store when the catalogue is stale: call it off the event loop."""
    location = catalog.location(location_id)
    if location is None:
        raise UnknownLocation(f"unknown location {location_id!r}")
    return location


def known_sku(catalog: NetworkCatalog, sku: str) -> None:
    """``UnknownSku`` naming the field ``sku`` unless the catalogue has ``sku``."""
    if sku not in catalog.skus():
        raise UnknownSku(f"unknown SKU {sku!r}", "sku")


def location_settings(location: Location) -> dict[str, Any]:
    """A location's settings as people and integrations read them: everything but its
    stock (see the inventory), a webhook's secret shown as ``REDACTED``."""
    data = location.model_dump(mode="json", exclude={"stock"})
    adapter = data.get("adapter") or {}
    if adapter.get("secret"):
        adapter["secret"] = REDACTED
    return data


def update_sku(store: SkuBook, sku: str, changes: dict[str, Any]) -> Sku:
    """Name a SKU (or rename it, or correct its weight): only the fields in ``changes``
    change; ``name: None`` clears the name, but a weight cannot be cleared (``None``
    leaves it). ``UnknownSku`` if there is no such SKU; pydantic's ``ValidationError``
    if a value is not valid."""
    changes = dict(changes)
    if "weight_lb" in changes and changes["weight_lb"] is None:
        del changes["weight_lb"]
    return store.update_sku(sku, **changes)
