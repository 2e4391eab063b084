"""Builds Switchyard's Temporal worker: workflows, activities, converter, sandbox.

Run it alone in production (``python worker.py`` or ``dom worker``), as many copies as
the load needs; ``dom up`` runs one beside the API and an embedded Temporal server.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from concurrent.futures import ThreadPoolExecutor

from pydantic import SecretBytes
from temporalio.client import Client
from temporalio.worker import Worker

from activities.dispatch import DispatchActivities
from activities.inventory import InventoryActivities
from adapters.catalog import Catalog
from adapters.locations import LocationAdapters
from adapters.order_gateway import OrderGateway
from adapters.rules_book import RulesBook
from adapters.store import InventoryStore
from adapters.webhook_urls import WebhookPolicy
from domain.fulfillment import LocationEvent
from workflows.runner import WORKFLOWS, workflow_runner

log = logging.getLogger(__name__)

__all__ = ["WORKFLOWS", "WorkerParts", "build_worker", "run_worker", "workflow_runner"]


class WorkerParts:
    """What a worker owns besides itself: the location adapters and their HTTP client."""

    def __init__(
        self,
        client: Client,
        task_queue: str,
        search_hash_key: SecretBytes,
        *,
        webhook_policy: WebhookPolicy | None = None,
    ) -> None:
        gateway = OrderGateway(client, task_queue, search_hash_key=search_hash_key)

        async def report(location_id: str, fulfillment_id: str, event: LocationEvent) -> object:
            return await gateway.report_event(
                location_id, fulfillment_id, event, actor=f"location:{location_id}:simulator"
            )

        self.adapters = LocationAdapters(report, webhook_policy=webhook_policy)

    async def aclose(self) -> None:
        await self.adapters.aclose()


def build_worker(
    client: Client,
    store: InventoryStore,
    task_queue: str,
    parts: WorkerParts,
    *,
    max_concurrent_activities: int = 64,
) -> Worker:
    """A worker running the order and fulfillment workflows and every activity."""
    inventory = InventoryActivities(store, rules=RulesBook(store).current)
    dispatch = DispatchActivities(parts.adapters, Catalog(store))
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
        ],
        activity_executor=ThreadPoolExecutor(max_workers=max_concurrent_activities),
        max_concurrent_activities=max_concurrent_activities,
        workflow_runner=workflow_runner(),
    )


async def run_worker() -> None:
    """Run a worker against ``DOM_TEMPORAL_ADDRESS`` and ``DOM_DATABASE_URL`` until stopped.

    Its keys come from ``DOM_ENCRYPTION_KEYS``/``DOM_SEARCH_HASH_KEY`` or the data dir's
    files (``starter.keys``); it never creates them: ``MissingKeys`` says what to set."""
    from starter.keys import load_keys
    from starter.settings import get_settings
    from starter.temporal import connect, ensure_search_attributes

    settings = get_settings()
    keys = load_keys(settings)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per webhook call, as dom up
    store = InventoryStore(settings.resolved_database_url)
    store.migrate()
    client = await connect(
        settings.resolved_temporal_address, settings.temporal_namespace, keys=keys.encryption
    )
    await ensure_search_attributes(client)
    parts = WorkerParts(
        client, settings.task_queue, keys.search_hash, webhook_policy=settings.webhook_policy
    )
    worker = build_worker(
        client,
        store,
        settings.task_queue,
        parts,
        max_concurrent_activities=settings.max_concurrent_activities,
    )
    gc.freeze()  # start-up data lives for the whole process; keep it out of full collections
    log.info("worker polling %s on %s", settings.task_queue, settings.resolved_temporal_address)
    try:
        await worker.run()
    finally:
        await parts.aclose()


if __name__ == "__main__":
    asyncio.run(run_worker())
