"""Translating the network between the domain's models and the store's rows."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from adapters.store.tables import LocationRow, SkuRow
from domain.models import Location, Network, Sku

log = logging.getLogger(__name__)

POLICY_KEYS = ("sla_defaults", "backorder_window", "max_reroutes")
"""Network fields kept in the ``meta`` table (JSON, as the network file writes them)."""

LOCATION_FIELDS = tuple(name for name in Location.model_fields if name != "stock")


def sku_row(sku: Sku, position: int) -> SkuRow:
    return SkuRow(
        sku=sku.sku,
        weight_lb=sku.weight_lb,
        name=sku.name,
        image_url=sku.image_url,
        position=position,
    )


def location_row(location: Location, position: int) -> LocationRow:
    """Every field but stock; adapter config and SLA as JSON (durations as ``2h``, ``3d``)."""
    data = location.model_dump(mode="json", exclude={"stock"})
    return LocationRow(position=position, **data)


def policy(network: Network) -> dict[str, Any]:
    return network.model_dump(mode="json", include=set(POLICY_KEYS))


def rebuild_network(
    skus: Sequence[SkuRow],
    locations: Sequence[LocationRow],
    stock: Mapping[str, dict[str, int]],
    policy: Mapping[str, Any],
) -> Network:
    """The ``Network`` the rows describe; ``stock`` is location_id -> sku -> on_hand."""
    return Network.model_validate(
        {
            "skus": [
                {"sku": s.sku, "weight_lb": s.weight_lb, "name": s.name, "image_url": s.image_url}
                for s in skus
            ],
            "locations": [
                _stored_location(
                    {
                        **{name: getattr(row, name) for name in LOCATION_FIELDS},
                        "stock": stock.get(row.id, {}),
                    }
                )
                for row in locations
            ],
            **{k: v for k, v in policy.items() if v is not None},
        }
    )


def _stored_location(fields: dict[str, Any]) -> Location | dict[str, Any]:
    """A stored location, validated; one that no longer passes today's checks (a number
    stored before the API refused non-finite values) is kept as stored, so the rest of the
    network still loads: routing skips what it cannot cost and says so."""
    try:
        return Location.model_validate(fields)
    except ValidationError as exc:
        log.warning("location %s as stored fails today's checks: %s", fields.get("id"), exc)
        return Location.model_construct(**fields)
