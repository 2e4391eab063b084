"""``dom export-network``: the live network (SKUs, locations and their settings, stock on
hand now) as a network file that ``dom simulate`` and ``dom up --network`` read back."""

from __future__ import annotations

from typing import Any

import yaml

from adapters.store import InventoryStore
from domain.models import Network, WebhookAdapterConfig

HEADER = (
    "# Exported by dom export-network: the live SKUs, locations and stock on hand.\n"
    "# Webhook secrets are left out: set them again before loading this file.\n"
)


def network_file(network: Network) -> str:
    """``network`` as network-file YAML (webhook secrets left out: a file travels)."""
    data: dict[str, Any] = network.model_dump(mode="json", exclude_none=True)
    for location, stored in zip(data["locations"], network.locations, strict=True):
        if isinstance(stored.adapter, WebhookAdapterConfig):
            location["adapter"].pop("secret", None)
    return HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def export_network(store: InventoryStore) -> str:
    """The store's network now, as a network file."""
    return network_file(store.network())
