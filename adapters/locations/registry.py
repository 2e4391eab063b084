"""Picks the adapter named by a location's ``adapter: {type: ...}`` config."""

from __future__ import annotations

import httpx

from adapters.locations.base import EventSink, LocationAdapter
from adapters.locations.manual import ManualAdapter
from adapters.locations.pinned import pinned_client
from adapters.locations.simulated import LocationSimulator, SimulatedAdapter
from adapters.locations.webhook import WebhookAdapter
from adapters.webhook_urls import WebhookPolicy
from domain.models import (
    AdapterConfig,
    ManualAdapterConfig,
    SimulatedAdapterConfig,
    WebhookAdapterConfig,
)


class LocationAdapters:
    """Owns the shared HTTP client and the simulator; hands out one adapter per config.

    ``webhook_policy``: which webhook URLs may be called (default: development, nothing
    allowed beyond public hosts); the worker passes ``Settings.webhook_policy``."""

    def __init__(
        self,
        sink: EventSink,
        *,
        http: httpx.AsyncClient | None = None,
        webhook_policy: WebhookPolicy | None = None,
    ) -> None:
        self._webhook_policy = webhook_policy or WebhookPolicy()
        # Connections pinned to the addresses the policy checked (no second lookup).
        self._http = http or pinned_client(self._webhook_policy)
        self.simulator = LocationSimulator(sink)

    def for_config(self, config: AdapterConfig) -> LocationAdapter:
        match config:
            case WebhookAdapterConfig():
                return WebhookAdapter(config, self._http, self._webhook_policy)
            case SimulatedAdapterConfig():
                return SimulatedAdapter(config, self.simulator)
            case ManualAdapterConfig():
                return ManualAdapter()
        raise ValueError(f"no adapter for {config!r}")

    async def aclose(self) -> None:
        await self.simulator.close()
        await self._http.aclose()
