"""The routing network (SKUs and locations) as read from the store, cached in memory and
rebuilt only when the store says it changed. Not the SKU catalogue: that is
``adapters/store/catalogue.py``, the tables this cache is read from."""

from __future__ import annotations

import logging
import threading

from adapters.store import InventoryStore
from adapters.store.errors import StoreUnavailable
from domain.models import Location, Network

log = logging.getLogger(__name__)


class NetworkCache:
    """The network, cached: one cheap version check per call, a rebuild when it moved."""

    def __init__(self, store: InventoryStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._version = -1
        self._network: Network | None = None
        self._skus: frozenset[str] = frozenset()
        self._locations: dict[str, Location] = {}
        self._stale = False

    def network(self) -> Network:
        """The network as the store has it; while the store cannot answer, the last one read
        (so checkout and location events go on through a database restart), and
        ``StoreUnavailable`` only when nothing was read yet."""
        try:
            version = self._store.network_version()
            with self._lock:
                network = self._network
                if network is None or version != self._version:
                    network = self._refresh(version)
                self._stale = False
                return network
        except StoreUnavailable as exc:
            return self._last_read(exc)

    def _refresh(self, version: int) -> Network:
        network = self._store.network()
        self._skus = frozenset(s.sku for s in network.skus)
        self._locations = {loc.id: loc for loc in network.locations}
        self._network, self._version = network, version
        return network

    def _last_read(self, exc: StoreUnavailable) -> Network:
        with self._lock:
            if self._network is None:
                raise exc
            if not self._stale:  # once per outage, not once per request
                log.warning("serving the network as of version %d: %s", self._version, exc)
                self._stale = True
            return self._network

    def skus(self) -> frozenset[str]:
        self.network()
        return self._skus

    def location(self, location_id: str) -> Location | None:
        self.network()
        return self._locations.get(location_id)

    def has_seen_location(self, location_id: str) -> bool:
        """True if ``location_id`` was in the network when last read, without asking the
        store. Locations are never removed (only deactivated), so a location once seen
        stays valid as an address for its events; anything else needs ``location``."""
        return location_id in self._locations
