"""Telling subscribers about an order's events, at least once, each subscriber's
delivery recorded with its attempts and last error.

The publish activity is a thin door to ``publish``: it supplies the sender (an HTTP
POST, signed) and says whether this is the last attempt; the rule "a delivery already
made is never made again, a refused one is given up, the rest are tried again" is here.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Literal, Protocol

from adapters.store.subscriptions import DELIVERED, SubscriptionRecord
from domain.events import PublishedEvent
from services.ports import DeliveryBook

Outcome = Literal["delivered", "retried", "failed"]


class Sender(Protocol):
    """Sends one event's body to one subscriber."""

    async def send(
        self, subscription: SubscriptionRecord, body: bytes, event_id: str
    ) -> tuple[str | None, bool]:
        """(None, _) when the subscriber took it; else (why not, whether to try again)."""
        ...


@dataclass
class Published:
    """What one round of ``publish`` did."""

    subscribers: int
    """Live subscriptions of the event's type: all of them have it once ``waiting`` is empty."""
    outcomes: list[tuple[str, Outcome, str | None]] = field(default_factory=list)
    """(subscription id, outcome, error) of each attempt made this round."""
    waiting: list[str] = field(default_factory=list)
    """``<subscription id>: <error>`` of each delivery to try again."""


async def publish(
    store: DeliveryBook, sender: Sender, event: PublishedEvent, *, final: bool
) -> Published:
    """Send ``event`` to each live subscription of its type that has not had it yet.

    Idempotent per (subscription, event): one already delivered is skipped. ``final``:
    this is the last attempt, so a failure is recorded as given up."""
    subscribers = [
        s for s in await asyncio.to_thread(store.subscriptions) if event.type.value in s.event_types
    ]
    body = json.dumps(event.body(), separators=(",", ":")).encode()
    published = Published(subscribers=len(subscribers))
    for subscription in subscribers:
        record = await asyncio.to_thread(
            store.start_delivery, subscription.id, event.id, event.type.value, event.order_id
        )
        if record.status == DELIVERED:
            continue
        error, retry = await sender.send(subscription, body, event.id)
        await asyncio.to_thread(
            store.record_delivery_attempt,
            subscription.id,
            event.id,
            error,
            final=final or not retry,
        )
        published.outcomes.append((subscription.id, _outcome(error, retry, final), error))
        if error is not None and retry:
            published.waiting.append(f"{subscription.id}: {error}")
    return published


def _outcome(error: str | None, retry: bool, final: bool) -> Outcome:
    if error is None:
        return "delivered"
    return "retried" if retry and not final else "failed"
