"""Telling subscribers about an order's events: each signed like a fulfillment request,
at least once (``services.subscribers`` keeps each delivery's record).

One activity per event: it sends to every live subscription of the event's type that has
not had it yet, and fails (so Temporal retries it with backoff) while any of them has not
answered 2xx. A delivery already made is never made again by a retry; a receiver still
sees repeats (a lost answer), and deduplicates them by the event's id. The activity is
also the sender: an HTTP POST, signed, to a URL the webhook policy allows.
"""

from __future__ import annotations

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.limits import EVENT_DELIVERY_ATTEMPTS
from activities.names import PUBLISH_EVENT
from adapters import metrics
from adapters.signatures import SIGNATURE_HEADER, sign
from adapters.store.subscriptions import SubscriptionRecord
from adapters.webhook_urls import (
    Resolver,
    UnsafeWebhook,
    WebhookPolicy,
    check_webhook_url_now,
    system_resolver,
)
from domain.events import PublishedEvent
from services import subscribers
from services.personal import opened_event
from services.ports import DeliveryBook, PersonalVault

SEND_TIMEOUT_SECONDS = 10.0


class EventActivities:
    """``http``: the pinned client (``adapters.locations.pinned.pinned_client``) under the
    same ``policy``, so a delivery connects only to addresses the policy checked, as a
    location's webhook does; ``resolve`` is the lookup the check before each send uses."""

    def __init__(
        self,
        store: DeliveryBook,
        http: httpx.AsyncClient,
        policy: WebhookPolicy | None = None,
        *,
        vault: PersonalVault | None,
        resolve: Resolver = system_resolver,
    ) -> None:
        self._store = store
        self._http = http
        self._policy = policy or WebhookPolicy()
        self._vault = vault
        self._resolve = resolve

    @activity.defn(name=PUBLISH_EVENT)
    async def publish_event(self, event: PublishedEvent) -> int:
        """Send ``event`` to each live subscription of its type that has not had it; the
        subscriptions that have it now. Raises (retried) while any did not answer 2xx."""
        final = activity.info().attempt >= EVENT_DELIVERY_ATTEMPTS
        if self._vault is not None:
            event = await opened_event(self._vault, event)
        published = await subscribers.publish(self._store, self, event, final=final)
        for subscription_id, outcome, error in published.outcomes:
            metrics.EVENT_DELIVERIES.labels(outcome).inc()
            if error is not None:
                activity.logger.warning(
                    "event %s to subscription %s: %s", event.id, subscription_id, error
                )
        if published.waiting:
            raise ApplicationError("not delivered yet: " + "; ".join(published.waiting))
        return published.subscribers

    async def send(
        self, subscription: SubscriptionRecord, body: bytes, event_id: str
    ) -> tuple[str | None, bool]:
        """(None, _) when the subscriber took it; else (why not, whether to try again)."""
        try:
            await check_webhook_url_now(subscription.url, self._policy, resolve=self._resolve)
        except UnsafeWebhook as exc:
            return str(exc), False  # the URL may not be called from here: never will be
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": event_id,
            SIGNATURE_HEADER: sign(body, subscription.secret),
        }
        try:
            answer = await self._http.post(
                subscription.url, content=body, headers=headers, timeout=SEND_TIMEOUT_SECONDS
            )
        except UnsafeWebhook as exc:  # the name resolved inside by connect time (rebinding)
            return str(exc), False
        except httpx.HTTPError as exc:
            return f"could not reach {subscription.url}: {type(exc).__name__}", True
        if answer.is_success:
            return None, True
        return f"HTTP {answer.status_code}: {answer.text[:200]}", True
