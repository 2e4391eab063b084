"""Builds Switchyard's Temporal worker, once for every way it runs: workflows, activities,
converter, sandbox.

``run_worker`` runs one alone (``python worker.py``, ``dom worker``), as many copies as the
load needs; ``dom up`` runs ``assembled_worker`` beside the API and an embedded Temporal
server.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from pydantic import SecretBytes
from temporalio.client import Client
from temporalio.worker import Worker

from activities.dispatch import DispatchActivities
from activities.events import EventActivities
from activities.inventory import InventoryActivities
from activities.returns import ReturnActivities
from adapters.locations import LocationAdapters
from adapters.locations.pinned import pinned_client
from adapters.network_cache import NetworkCache
from adapters.rules_book import RulesBook
from adapters.store import InventoryStore
from adapters.webhook_urls import WebhookPolicy
from domain.fulfillment import LocationEvent
from domain.routing.price_board import PriceBoard
from services.ports import PersonalVault
from services.pricing import PriceRefresher, PricingSchedule
from services.retention import RetentionSchedule, RetentionSweeper
from starter.bootstrap import open_store
from starter.bootstrap.keys import Keys, personal_vault
from starter.bootstrap.settings import Settings
from starter.bootstrap.temporal import client_for, ensure_search_attributes
from starter.gateway.orders import OrderGateway
from workflows.runner import WORKFLOWS, workflow_runner

log = logging.getLogger(__name__)


class WorkerParts:
    """What a worker owns besides itself: the location adapters and their HTTP client, the
    ``lookahead`` price board with the background task that keeps it fresh, the retention
    passes, and the threads its activities run on."""

    def __init__(
        self,
        client: Client,
        task_queue: str,
        search_hash_key: SecretBytes,
        *,
        webhook_policy: WebhookPolicy | None = None,
        pricing: PricingSchedule | None = None,
        retention: RetentionSchedule | None = None,
    ) -> None:
        # Reports the simulated locations' events only: it never places or shows an order.
        gateway = OrderGateway(client, task_queue, search_hash_key=search_hash_key, vault=None)

        async def report(location_id: str, fulfillment_id: str, event: LocationEvent) -> object:
            return await gateway.report_event(
                location_id, fulfillment_id, event, actor=f"location:{location_id}:simulator"
            )

        self.adapters = LocationAdapters(report, webhook_policy=webhook_policy)
        self.webhook_policy = webhook_policy
        # Subscribers' endpoints: connections pinned to the addresses the policy checked,
        # as locations' are (no second lookup to rebind); no redirects (a redirect could
        # point inside the network).
        self.events_http = pinned_client(webhook_policy or WebhookPolicy())
        self.pricing = pricing or PricingSchedule()
        self.prices = PriceBoard(self.pricing.window_orders)
        self._refreshing: asyncio.Task[None] | None = None
        self.retention = retention or RetentionSchedule(days=0)  # off unless the settings say
        self._sweeping: asyncio.Task[None] | None = None
        self.activity_threads: ThreadPoolExecutor | None = None

    def keep_prices_fresh(self, refresher: PriceRefresher) -> None:
        """Start the background price refresh (from the running event loop); ``aclose`` stops it."""
        if self._refreshing is None:
            self._refreshing = asyncio.get_running_loop().create_task(
                refresher.run(), name="lookahead-prices"
            )

    def keep_store_trimmed(self, sweeper: RetentionSweeper) -> None:
        """Start the background retention passes (from the running event loop)."""
        if self._sweeping is None:
            self._sweeping = asyncio.get_running_loop().create_task(sweeper.run(), name="retention")

    async def aclose(self) -> None:
        for task in (self._refreshing, self._sweeping):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._refreshing = self._sweeping = None
        await self.adapters.aclose()
        await self.events_http.aclose()
        if self.activity_threads is not None:
            # The worker has shut down, so no activity runs: this joins idle threads, which
            # then never outlive the event loop (nor meet the interpreter's finalization).
            await asyncio.to_thread(self.activity_threads.shutdown, wait=True)
            self.activity_threads = None


def pricing_schedule(settings: Settings) -> PricingSchedule:
    """The ``DOM_LOOKAHEAD_*`` settings as a worker's pricing schedule."""
    return PricingSchedule(
        every_seconds=settings.lookahead_refresh_seconds,
        window_orders=settings.lookahead_window_orders,
        min_orders=settings.lookahead_min_orders,
    )


def build_worker(
    client: Client,
    store: InventoryStore,
    task_queue: str,
    parts: WorkerParts,
    *,
    vault: PersonalVault | None,
    max_concurrent_activities: int = 64,
    sandbox_speedups: bool = True,
) -> Worker:
    """A worker running the order and fulfillment workflows and every activity.

    Call it from the running event loop: it starts the ``lookahead`` price refresh
    (``services.pricing``), which checks once a second and runs an LP only while the
    rules choose ``lookahead``, and the retention passes (``services.retention``);
    ``parts.aclose()`` stops both."""
    rules = RulesBook(store).current
    # One catalog for routing and pricing: the same Network object, so the prices'
    # per-location arrays, built in the refresh thread, are the ones routing reads.
    catalog = NetworkCache(store)
    inventory = InventoryActivities(store, rules=rules, prices=parts.prices, catalog=catalog)
    parts.keep_prices_fresh(PriceRefresher(store, catalog, rules, parts.prices, parts.pricing))
    parts.keep_store_trimmed(RetentionSweeper(store, parts.retention))
    parts.activity_threads = ThreadPoolExecutor(
        max_workers=max_concurrent_activities, thread_name_prefix="activity"
    )
    dispatch = DispatchActivities(parts.adapters, catalog, vault)
    events = EventActivities(store, parts.events_http, parts.webhook_policy, vault=vault)
    returns = ReturnActivities(store)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            inventory.allocate,
            inventory.release_reservations,
            inventory.commit_shipment,
            inventory.record_shortfall,
            inventory.record_backorder,
            dispatch.dispatch_fulfillment,
            dispatch.cancel_fulfillment_at_location,
            events.publish_event,
            returns.receive_return,
            returns.set_return_status,
        ],
        activity_executor=parts.activity_threads,
        max_concurrent_activities=max_concurrent_activities,
        workflow_runner=workflow_runner(speedups=sandbox_speedups),
    )


@contextlib.asynccontextmanager
async def assembled_worker(
    settings: Settings, keys: Keys, store: InventoryStore, client: Client
) -> AsyncIterator[Worker]:
    """The worker the settings describe, its search attributes registered first; what it
    owns besides itself (``WorkerParts``) is closed when the block ends. Enter it from the
    running event loop (``build_worker`` starts the price refresh)."""
    await ensure_search_attributes(client)
    parts = WorkerParts(
        client,
        settings.task_queue,
        keys.search_hash,
        webhook_policy=settings.webhook_policy,
        pricing=pricing_schedule(settings),
        retention=RetentionSchedule(days=settings.retention_days),
    )
    try:
        yield build_worker(
            client,
            store,
            settings.task_queue,
            parts,
            vault=personal_vault(store, keys),
            max_concurrent_activities=settings.max_concurrent_activities,
            sandbox_speedups=settings.sandbox_speedups,
        )
    finally:
        await parts.aclose()


async def run_worker(settings: Settings, keys: Keys) -> None:
    """Run a worker against ``DOM_TEMPORAL_ADDRESS`` and ``DOM_DATABASE_URL`` until stopped.

    ``keys``: the stack's (``starter.bootstrap.start``); a worker never creates them."""
    from adapters import metrics

    if settings.metrics_address:
        metrics.serve(settings.metrics_address)
    store = open_store(settings)
    client = await client_for(settings, keys)
    async with assembled_worker(settings, keys, store, client) as worker:
        gc.freeze()  # start-up data lives for the whole process; keep it out of full collections
        log.info("worker polling %s on %s", settings.task_queue, settings.resolved_temporal_address)
        await worker.run()
