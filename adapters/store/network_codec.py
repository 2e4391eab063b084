"""Translating the network between the domain's models and the store's rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.store.tables import LocationRow, SkuRow
from domain.models import Location, Network, Sku

POLICY_KEYS = ("sla_defaults", "backorder_window", "max_reroutes")
"""Network fields kept in the ``meta`` table (JSON, as the network file writes them)."""

LOCATION_FIELDS = tuple(name for name in Location.model_fields if name != "stock")


def sku_row(sku: Sku, position: int) -> SkuRow:
    return SkuRow(sku=sku.sku, weight_lb=sku.weight_lb, name=sku.name, position=position)


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
            "skus": [{"sku": s.sku, "weight_lb": s.weight_lb, "name": s.name} for s in skus],
            "locations": [
                {
                    **{name: getattr(row, name) for name in LOCATION_FIELDS},
                    "stock": stock.get(row.id, {}),
                }
                for row in locations
            ],
            **{k: v for k, v in policy.items() if v is not None},
        }
    )
