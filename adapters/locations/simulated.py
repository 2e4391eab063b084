"""A pretend location for demos and benchmarks: accept, pick, pack and ship after short
random delays, reporting each step through the same path a real location's events take.

It lives in the worker's memory: if the worker restarts mid-package, the simulated
location forgets it (as a real one would not), and the package's deadlines take over.
"""

from __future__ import annotations

import asyncio
import logging
import random

from adapters.locations.base import EventSink
from domain.fulfillment import LocationEvent
from domain.models import DeliveryType, LocationEventType, SimulatedAdapterConfig
from domain.orders import FulfillmentRequest

log = logging.getLogger(__name__)

_SHIP_STEPS = [
    LocationEventType.ACCEPTED,
    LocationEventType.PICKED,
    LocationEventType.PACKED,
    LocationEventType.SHIPPED,
]
_PICKUP_STEPS = [
    LocationEventType.ACCEPTED,
    LocationEventType.PICKED,
    LocationEventType.READY_FOR_PICKUP,
    LocationEventType.PICKED_UP,
]


class LocationSimulator:
    """Plays every simulated location; one task per fulfillment, started at most once."""

    def __init__(self, sink: EventSink, *, seed: int | None = None) -> None:
        self._sink = sink
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._random = random.Random(seed)

    def start(self, request: FulfillmentRequest, config: SimulatedAdapterConfig) -> None:
        if request.fulfillment_id in self._tasks:
            return  # a retried dispatch: already being played
        task = asyncio.get_running_loop().create_task(self._play(request, config))
        self._tasks[request.fulfillment_id] = task

    def stop(self, fulfillment_id: str) -> None:
        task = self._tasks.pop(fulfillment_id, None)
        if task is not None:
            task.cancel()

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        self._tasks.clear()

    async def _play(self, request: FulfillmentRequest, config: SimulatedAdapterConfig) -> None:
        steps = _PICKUP_STEPS if request.delivery is DeliveryType.PICKUP else _SHIP_STEPS
        try:
            for step in steps:
                low, high = (
                    config.min_delay_seconds,
                    max(config.min_delay_seconds, config.max_delay_seconds),
                )
                await asyncio.sleep(self._random.uniform(low, high))
                event = LocationEvent(
                    type=step, event_id=f"sim:{request.fulfillment_id}:{step.value}"
                )
                if step is LocationEventType.SHIPPED:
                    event.carrier = config.carrier
                    event.tracking_number = f"1Z{self._random.randrange(16**12):012X}"
                await self._report(request, event)
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.pop(request.fulfillment_id, None)

    async def _report(self, request: FulfillmentRequest, event: LocationEvent) -> None:
        for attempt in range(5):
            try:
                await self._sink(request.location_id, request.fulfillment_id, event)
                return
            except Exception as exc:  # the workflow may be mid-task; a real location retries too
                log.warning(
                    "simulated %s: %s (attempt %d)", request.fulfillment_id, exc, attempt + 1
                )
                await asyncio.sleep(0.5 * (attempt + 1))


class SimulatedAdapter:
    def __init__(self, config: SimulatedAdapterConfig, simulator: LocationSimulator) -> None:
        self._config = config
        self._simulator = simulator

    async def dispatch(self, request: FulfillmentRequest, idempotency_key: str) -> None:
        self._simulator.start(request, self._config)

    async def cancel(self, request: FulfillmentRequest, reason: str, idempotency_key: str) -> None:
        self._simulator.stop(request.fulfillment_id)
