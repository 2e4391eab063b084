"""Event deliveries to subscribers connect only where the webhook policy checked, as a
location's webhook does: a subscriber's name that resolves to a public address when it
is checked and to 127.0.0.1 when the client connects (DNS rebinding) never gets a byte,
and the delivery is given up with the reason, not retried."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpcore
import pytest

from activities.events import EventActivities
from adapters.locations.pinned import PolicyBackend, pinned_client
from adapters.store import InventoryStore
from adapters.store.subscriptions import SubscriptionRecord
from adapters.webhook_urls import WebhookPolicy
from domain.events import EventType, PublishedEvent
from services import subscribers
from starter.bootstrap.worker import WorkerParts
from tests.integration.locations.test_pinned_connections import listener

pytestmark = pytest.mark.asyncio

__all__ = ["listener"]  # the fixture: a plain HTTP server on 127.0.0.1 keeping each head

EVENT = PublishedEvent(
    id="evt-R1-shipped",
    type=EventType.FULFILLMENT_SHIPPED,
    occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    order_id="R1",
    data={"order_id": "R1"},
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[InventoryStore]:
    store = InventoryStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    yield store
    store.close()


def subscribe(store: InventoryStore, url: str) -> SubscriptionRecord:
    return store.create_subscription(
        SubscriptionRecord(
            id="sub_rebind",
            url=url,
            secret="whsec_0123456789abcdef",
            event_types=[EventType.FULFILLMENT_SHIPPED.value],
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            created_by="test",
        )
    )


class Rebinding:
    """A resolver that answers a public address first, then the loopback, every time
    after: what an attacker's DNS server with a zero TTL does."""

    def __init__(self) -> None:
        self.lookups = 0

    def __call__(self, host: str) -> list[str]:
        self.lookups += 1
        return ["93.184.216.34"] if self.lookups == 1 else ["127.0.0.1"]


@pytest.fixture
async def rebinding_sender() -> AsyncIterator[tuple[EventActivities, Rebinding]]:
    resolve = Rebinding()
    policy = WebhookPolicy.of("development", [])  # loopback not allowed
    async with pinned_client(policy, resolve=resolve) as http:
        yield EventActivities(None, http, policy, vault=None, resolve=resolve), resolve  # type: ignore[arg-type]


async def test_a_subscriber_name_rebound_to_loopback_never_gets_the_event(
    listener: tuple[int, list[bytes]],
    store: InventoryStore,
    rebinding_sender: tuple[EventActivities, Rebinding],
) -> None:
    port, heads = listener
    sender, resolve = rebinding_sender
    subscribe(store, f"http://hooks.erp.example:{port}/events")

    published = await subscribers.publish(store, sender, EVENT, final=False)

    assert resolve.lookups == 2  # checked (public), then resolved again to connect (home)
    assert heads == []  # nothing reached the server on 127.0.0.1
    [(_, outcome, error)] = published.outcomes
    assert outcome == "failed" and published.waiting == []  # given up, not retried
    assert error is not None and "loopback" in error
    [delivery] = store.deliveries("sub_rebind")
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == error


async def test_a_subscriber_inside_an_allowed_range_is_delivered_through_the_pinned_client(
    listener: tuple[int, list[bytes]], store: InventoryStore
) -> None:
    port, heads = listener
    policy = WebhookPolicy.of("development", ["127.0.0.1"])
    lookups: list[str] = []

    def resolve(host: str) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    subscribe(store, f"http://hooks.erp.example:{port}/events")
    async with pinned_client(policy, resolve=resolve) as http:
        sender = EventActivities(store, http, policy, vault=None, resolve=resolve)
        published = await subscribers.publish(store, sender, EVENT, final=False)
    assert published.outcomes == [("sub_rebind", "delivered", None)]
    assert b"host: hooks.erp.example" in heads[0].lower()
    assert b"x-switchyard-signature: t=" in heads[0].lower()


async def test_the_worker_sends_events_through_the_pinned_client() -> None:
    policy = WebhookPolicy.of("production", [])
    parts = WorkerParts(client=None, task_queue="q", search_hash_key=None, webhook_policy=policy)  # type: ignore[arg-type]
    try:
        pool = parts.events_http._transport._pool  # type: ignore[attr-defined]
        assert isinstance(pool, httpcore.AsyncConnectionPool)
        assert isinstance(pool._network_backend, PolicyBackend)
        assert pool._network_backend._policy is policy
        assert parts.events_http.follow_redirects is False
    finally:
        await parts.aclose()
