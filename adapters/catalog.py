"""The network as read from the store, rebuilt only when the store says it changed."""

from __future__ import annotations

import threading

from adapters.store import InventoryStore
from domain.models import Location, Network


class Catalog:
    """A cached view of SKUs and locations (one cheap version check per call)."""

    def __init__(self, store: InventoryStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._version = -1
        self._network: Network | None = None
        self._skus: frozenset[str] = frozenset()
        self._locations: dict[str, Location] = {}

    def network(self) -> Network:
        version = self._store.network_version()
        with self._lock:
            if self._network is None or version != self._version:
                self._network = self._store.network()
                self._skus = frozenset(s.sku for s in self._network.skus)
                self._locations = {loc.id: loc for loc in self._network.locations}
                self._version = version
            return self._network

    def skus(self) -> frozenset[str]:
        self.network()
        return self._skus

    def location(self, location_id: str) -> Location | None:
        self.network()
        return self._locations.get(location_id)
