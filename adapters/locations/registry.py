"""Picks the adapter named by a location's ``adapter: {type: ...}`` config."""

from __future__ import annotations

import httpx

from adapters.locations.base import EventSink, LocationAdapter
from adapters.locations.manual import ManualAdapter
from adapters.locations.simulated import LocationSimulator, SimulatedAdapter
from adapters.locations.webhook import WebhookAdapter
from domain.models import (
    AdapterConfig,
    ManualAdapterConfig,
    SimulatedAdapterConfig,
    WebhookAdapterConfig,
)


class LocationAdapters:
    """Owns the shared HTTP client and the simulator; hands out one adapter per config."""

    def __init__(self, sink: EventSink, *, http: httpx.AsyncClient | None = None) -> None:
        self._http = http or httpx.AsyncClient()
        self.simulator = LocationSimulator(sink)

    def for_config(self, config: AdapterConfig) -> LocationAdapter:
        match config:
            case WebhookAdapterConfig():
                return WebhookAdapter(config, self._http)
            case SimulatedAdapterConfig():
                return SimulatedAdapter(config, self.simulator)
            case ManualAdapterConfig():
                return ManualAdapter()
        raise ValueError(f"no adapter for {config!r}")

    async def aclose(self) -> None:
        await self.simulator.close()
        await self._http.aclose()
