"""Event subscriptions: operations registers where order events go (an ERP, a
notification service), reads them, removes them, and sees each delivery's fate."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, field_validator

from adapters.store import InventoryStore
from adapters.store.errors import StoreUnavailable
from adapters.store.subscriptions import DeliveryRecord, SubscriptionRecord
from adapters.webhook_urls import UnsafeWebhookUrl, check_webhook_url
from domain.access import Principal, Right
from domain.checkout import EdgeModel
from domain.events import EventType
from domain.models import ID_PATTERN
from services.errors import NotFound
from starter.api.auth import Allowed
from starter.api.deps import StoreDep
from starter.api.errors import error_responses, validation_error

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/subscriptions",
    tags=["subscriptions"],
    dependencies=[Allowed(Right.MANAGE_SUBSCRIPTIONS)],
)

SubscriptionIdPath = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=64, description="A subscription id")
]


class SubscriptionBody(EdgeModel):
    """A subscriber: where to POST events, the secret that signs them, which types."""

    url: str = Field(min_length=8, max_length=2000, description="https:// in production")
    secret: str = Field(
        min_length=16,
        max_length=200,
        description="Signs each delivery (X-Switchyard-Signature, as docs/webhooks.md); "
        "never shown again",
    )
    # strict=False: an enum's value from JSON (strict mode wants the enum itself).
    event_types: list[Annotated[EventType, Field(strict=False)]] = Field(
        min_length=1, max_length=len(EventType)
    )

    @field_validator("event_types")
    @classmethod
    def _once_each(cls, value: list[EventType]) -> list[EventType]:
        return sorted(set(value))


class Subscription(BaseModel):
    """A subscription as the API shows it (never its secret)."""

    id: str
    url: str
    event_types: list[str]
    created_at: datetime
    created_by: str
    deleted_at: datetime | None = None


def _shown(record: SubscriptionRecord) -> Subscription:
    return Subscription.model_validate(record.model_dump())


class SubscribedTypes:
    """The event types any live subscription wants, read at most every few seconds: the
    API records them on each order it places (``OrderGateway.place_order``)."""

    def __init__(self, store: InventoryStore, ttl_seconds: float = 5.0) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._types: list[str] = []

    def current(self) -> list[str]:
        """Call it off the event loop: it may read the store. While the store cannot
        answer, the types last read (checkout must go on through a database restart)."""
        with self._lock:
            if time.monotonic() - self._read_at > self._ttl:
                try:
                    wanted = {t for s in self._store.subscriptions() for t in s.event_types}
                    self._types = sorted(wanted)
                except StoreUnavailable:
                    log.warning("subscriptions unreadable; orders publish %s", self._types)
                self._read_at = time.monotonic()
            return self._types

    def forget(self) -> None:
        """A subscription changed in this process: read them again on the next order."""
        with self._lock:
            self._read_at = float("-inf")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Subscription,
    responses=error_responses(400, 422, e422="Invalid body, or a URL that may not be called"),
)
async def create_subscription(
    body: SubscriptionBody,
    request: Request,
    store: StoreDep,
    caller: Annotated[Principal, Allowed(Right.MANAGE_SUBSCRIPTIONS)],
) -> Subscription | Response:
    """Send these event types to ``url`` from now on: orders placed after this (up to 5
    s after, in other API processes) publish them."""
    policy = request.app.state.settings.webhook_policy
    try:
        await run_in_threadpool(check_webhook_url, body.url, policy)
    except UnsafeWebhookUrl as exc:
        problem: dict[str, object] = {
            "loc": ["body", "url"],
            "msg": str(exc),
            "type": "unsafe_webhook_url",
        }
        return validation_error([problem])
    record = SubscriptionRecord(
        id=f"sub_{secrets.token_hex(8)}",
        url=body.url,
        secret=body.secret,
        event_types=[t.value for t in body.event_types],
        created_at=datetime.now(UTC),
        created_by=caller.actor,
    )
    created = await run_in_threadpool(store.create_subscription, record)
    request.app.state.subscribed_types.forget()
    return _shown(created)


@router.get("", response_model=list[Subscription])
async def list_subscriptions(store: StoreDep) -> list[Subscription]:
    """Live subscriptions, the oldest first."""
    return [_shown(s) for s in await run_in_threadpool(store.subscriptions)]


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404, 422, e404="No live subscription with that id"),
)
async def delete_subscription(
    subscription_id: SubscriptionIdPath,
    request: Request,
    store: StoreDep,
) -> Response:
    """Stop sending to it (deliveries under way may still finish); its deliveries stay."""
    if await run_in_threadpool(store.delete_subscription, subscription_id) is None:
        raise NotFound(f"no subscription {subscription_id!r}")
    request.app.state.subscribed_types.forget()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{subscription_id}/deliveries",
    response_model=list[DeliveryRecord],
    responses=error_responses(404, 422, e404="No subscription with that id"),
)
async def list_deliveries(
    subscription_id: SubscriptionIdPath,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryRecord]:
    """Each event sent to it, the newest first: status (pending, delivered, failed),
    attempts and the last error."""
    if await run_in_threadpool(store.subscription, subscription_id) is None:
        raise NotFound(f"no subscription {subscription_id!r}")
    return await run_in_threadpool(store.deliveries, subscription_id, limit)
