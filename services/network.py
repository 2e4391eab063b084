"""The network's locations and SKUs as callers name them: checked against the
catalogue, shown without secrets, added and changed by operations.

The API's routes and the console's pages both come through here, so "unknown location"
and "unknown SKU" mean the same everywhere, a webhook's secret is hidden the same way,
and no location is given a webhook the policy (``DOM_ENV``, ``DOM_WEBHOOK_ALLOWED_HOSTS``)
refuses.
"""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.webhook_urls import WebhookPolicy, check_webhook_secret, check_webhook_url_now
from domain.errors import UnknownLocation, UnknownSku
from domain.models import AdapterConfig, Location, Sku, WebhookAdapterConfig
from services.errors import LocationExists, SkuExists
from services.ports import LocationBook, NetworkCatalog, SkuBook

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


def add_sku(store: SkuBook, sku: Sku) -> Sku:
    """Add a SKU: locations can stock it and orders name it at once; ``SkuExists`` if its
    code is taken."""
    if not store.add_sku(sku):
        raise SkuExists(f"SKU {sku.sku!r} is in the catalogue already; PATCH it instead")
    return sku


# --- locations ----------------------------------------------------------------------------


async def check_webhook(adapter: AdapterConfig, policy: WebhookPolicy) -> None:
    """``UnsafeWebhookUrl`` or ``UnsignedWebhook`` when ``policy`` refuses a webhook
    adapter's URL or missing secret (the URL's host looked up off the event loop)."""
    if isinstance(adapter, WebhookAdapterConfig):
        await check_webhook_url_now(adapter.url, policy)
        check_webhook_secret(adapter.secret, policy)


async def add_location(
    store: LocationBook,
    catalog: NetworkCatalog,
    policy: WebhookPolicy,
    location: Location,
    *,
    actor: str,
) -> Location:
    """Add a location, its ``stock`` booked as receipts by ``actor``; the location as the
    network now has it. Refused: its webhook (``check_webhook``), a SKU its stock names
    that the catalogue lacks (``UnknownSku``), an id in use (``LocationExists``)."""
    await check_webhook(location.adapter, policy)
    if not await asyncio.to_thread(store.add_location, location, actor=actor):
        raise LocationExists(f"location {location.id!r} exists already; PATCH it instead")
    return await asyncio.to_thread(catalog.location, location.id) or location


async def update_location(
    store: LocationBook,
    catalog: NetworkCatalog,
    policy: WebhookPolicy,
    location_id: str,
    changes: dict[str, Any],
    *,
    actor: str,
) -> Location:
    """Change a location's settings (``active: False`` takes it out of service for the next
    order); only the keys of ``changes`` change. A webhook adapter sent back with its
    secret shown as ``REDACTED`` keeps the stored secret; its webhook is checked as a new
    one's is. ``UnknownLocation`` if none; pydantic's ``ValidationError`` for a bad value."""
    adapter: AdapterConfig | None = changes.get("adapter")
    if adapter is not None:
        if isinstance(adapter, WebhookAdapterConfig) and adapter.secret == REDACTED:
            adapter = await asyncio.to_thread(_keep_secret, catalog, location_id, adapter)
        await check_webhook(adapter, policy)
        changes = {**changes, "adapter": adapter}
    return await asyncio.to_thread(store.update_location, location_id, actor=actor, **changes)


def _keep_secret(
    catalog: NetworkCatalog, location_id: str, adapter: WebhookAdapterConfig
) -> WebhookAdapterConfig:
    """``adapter`` with the stored secret in place of the mask a read showed the caller."""
    current = known_location(catalog, location_id).adapter
    kept = current.secret if isinstance(current, WebhookAdapterConfig) else None
    return adapter.model_copy(update={"secret": kept})
