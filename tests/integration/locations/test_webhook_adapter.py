"""The webhook adapter against a real HTTP server on loopback.

Loopback is refused to webhooks unless allowed (``DOM_WEBHOOK_ALLOWED_HOSTS``), so the
adapters here are given a policy that allows 127.0.0.1, as a test stack's settings do.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response

from adapters.locations import LocationRefused
from adapters.locations.webhook import WebhookAdapter
from adapters.signatures import verify
from adapters.webhook_urls import UnsafeWebhookUrl, UnsignedWebhook, WebhookPolicy
from domain.checkout import ShipTo
from domain.models import DEFAULT_SLA, WebhookAdapterConfig
from domain.orders import FulfillmentRequest
from domain.routing.types import RoutingLine

LOOPBACK_ALLOWED = WebhookPolicy.of("development", ["127.0.0.1"])


@dataclass
class Receiver:
    """A location's endpoint: records what arrives, answers with the queued statuses."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    state = Receiver(url=f"http://127.0.0.1:{port}/fulfillments")
    app = FastAPI()

    @app.post("/fulfillments")
    async def take(request: Request) -> Response:
        state.received.append((dict(request.headers), await request.body()))
        code = state.answers.pop(0) if state.answers else 202
        return Response(status_code=code, content=b'{"ok": true}' if code < 400 else b"nope")

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield state
    server.should_exit = True
    thread.join(timeout=5)


DANA_AT_WORK = ShipTo(
    postal_code="80202", name="Dana", address1="1701 Wynkoop Street", address2="Suite 300",
    city="Denver", region="CO",
)  # fmt: skip


def request() -> FulfillmentRequest:
    return FulfillmentRequest(
        fulfillment_id="W9-F1",
        order_id="W9",
        location_id="SLC-3PL",
        lines=[RoutingLine(sku="SKIN-SERUM", quantity=2)],
        ship_to=DANA_AT_WORK,
        customer_name="Dana Denver",
        service_level="ground",
        sla=DEFAULT_SLA,
    )


async def test_dispatch_posts_json_with_idempotency_key_and_a_verifiable_signature(
    receiver: Receiver,
) -> None:
    receiver.received.clear()
    config = WebhookAdapterConfig(url=receiver.url, secret="s3cret")
    async with httpx.AsyncClient() as http:
        adapter = WebhookAdapter(config, http, LOOPBACK_ALLOWED)
        sent = time.time()
        await adapter.dispatch(request(), idempotency_key="W9-F1:dispatch")
    [(headers, body)] = receiver.received
    assert headers["idempotency-key"] == "W9-F1:dispatch"
    signed_at = verify(headers["x-switchyard-signature"], body, "s3cret")  # as docs/webhooks.md
    assert abs(signed_at - sent) <= 2
    payload = json.loads(body)
    assert payload["type"] == "fulfillment.requested"
    assert payload["fulfillment"]["fulfillment_id"] == "W9-F1"
    assert payload["fulfillment"]["lines"] == [{"sku": "SKIN-SERUM", "quantity": 2}]
    assert "adapter" not in payload["fulfillment"]  # the location's own secret never travels
    # The whole address, so the location can label the parcel.
    ship_to = payload["fulfillment"]["ship_to"]
    assert [ship_to[k] for k in ("name", "address1", "address2", "city", "region",
                                 "postal_code")] == [
        "Dana", "1701 Wynkoop Street", "Suite 300", "Denver", "CO", "80202"
    ]  # fmt: skip


async def test_cancel_posts_the_cancellation(receiver: Receiver) -> None:
    receiver.received.clear()
    async with httpx.AsyncClient() as http:
        adapter = WebhookAdapter(WebhookAdapterConfig(url=receiver.url), http, LOOPBACK_ALLOWED)
        await adapter.cancel(request(), "rerouted", idempotency_key="W9-F1:cancel")
    [(headers, body)] = receiver.received
    assert json.loads(body) == {
        "type": "fulfillment.cancelled",
        "fulfillment_id": "W9-F1",
        "order_id": "W9",
        "reason": "rerouted",
    }
    assert headers["idempotency-key"] == "W9-F1:cancel"
    assert "x-switchyard-signature" not in headers  # no secret configured


@pytest.mark.parametrize(
    ("status", "final"), [(400, True), (422, True), (429, False), (503, False)]
)
async def test_a_refusal_is_final_and_anything_else_is_retried(
    receiver: Receiver, status: int, final: bool
) -> None:
    receiver.answers[:] = [status]
    async with httpx.AsyncClient() as http:
        adapter = WebhookAdapter(WebhookAdapterConfig(url=receiver.url), http, LOOPBACK_ALLOWED)
        expected = LocationRefused if final else httpx.HTTPStatusError
        with pytest.raises(expected):
            await adapter.dispatch(request(), idempotency_key="k")


async def test_dispatch_reads_the_url_and_secret_at_call_time_and_never_carries_them(
    receiver: Receiver, tmp_path: Path
) -> None:
    """The fulfillment request names its location only: the activity reads the webhook's
    URL and secret from the store when it runs, so no secret enters a workflow history,
    and a URL changed while a package is in flight is the one its next call uses."""
    from temporalio.testing import ActivityEnvironment

    from activities.dispatch import DispatchActivities
    from adapters.locations import LocationAdapters
    from adapters.network_cache import NetworkCache
    from adapters.store import InventoryStore
    from domain.models import Location, Network, Sku

    store = InventoryStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    old_url = receiver.url.replace("/fulfillments", "/gone")
    store.load_network(
        Network(
            skus=[Sku(sku="SKIN-SERUM", weight_lb=0.3)],
            locations=[
                Location(
                    id="SLC-3PL",
                    kind="3pl",
                    postal_code="84104",
                    adapter=WebhookAdapterConfig(url=old_url, secret="s3cret"),
                )
            ],
        )
    )
    store.update_location(
        "SLC-3PL", adapter=WebhookAdapterConfig(url=receiver.url, secret="s3cret-2")
    )
    package = request()
    assert "s3cret" not in package.model_dump_json() and "adapter" not in package.model_dump()

    adapters = LocationAdapters(sink=lambda *args: None, webhook_policy=LOOPBACK_ALLOWED)  # type: ignore[arg-type]
    try:
        dispatch = DispatchActivities(adapters, NetworkCache(store), None)
        before = len(receiver.received)
        await ActivityEnvironment().run(dispatch.dispatch_fulfillment, package)
    finally:
        await adapters.aclose()
        store.close()
    headers, body = receiver.received[before]
    verify(headers["x-switchyard-signature"], body, "s3cret-2")
    assert b"s3cret" not in body


async def test_loopback_is_refused_at_call_time_unless_allowed(receiver: Receiver) -> None:
    receiver.received.clear()
    async with httpx.AsyncClient() as http:
        adapter = WebhookAdapter(WebhookAdapterConfig(url=receiver.url), http)  # nothing allowed
        with pytest.raises(UnsafeWebhookUrl, match=r"127\.0\.0\.1 is a loopback address"):
            await adapter.dispatch(request(), idempotency_key="k")
    assert receiver.received == []  # refused before any byte left


async def test_a_name_that_now_resolves_inside_the_network_is_refused_when_called(
    receiver: Receiver,
) -> None:
    """DNS rebinding: the name was public when set; the call resolves it again."""
    receiver.received.clear()
    config = WebhookAdapterConfig(url="https://3pl.example.com/hook", secret="s3cret")
    async with httpx.AsyncClient() as http:
        adapter = WebhookAdapter(config, http, resolve=lambda host: ["10.0.0.7"])
        with pytest.raises(UnsafeWebhookUrl, match=r"which resolves to 10\.0\.0\.7"):
            await adapter.dispatch(request(), idempotency_key="k")


async def test_production_sends_nothing_unsigned(receiver: Receiver) -> None:
    policy = WebhookPolicy.of("production", ["127.0.0.1"])
    async with httpx.AsyncClient() as http:
        adapter = WebhookAdapter(WebhookAdapterConfig(url=receiver.url), http, policy)
        with pytest.raises(UnsignedWebhook):
            await adapter.dispatch(request(), idempotency_key="k")


async def test_a_refused_url_fails_the_dispatch_for_good_saying_why(tmp_path: Path) -> None:
    """A URL stored before the policy (or allowance) changed still loads from the store,
    and fails its dispatch at once, not retried, with a reason the timeline shows."""
    from temporalio.exceptions import ApplicationError
    from temporalio.testing import ActivityEnvironment

    from activities.dispatch import DispatchActivities
    from adapters.locations import LocationAdapters
    from adapters.network_cache import NetworkCache
    from adapters.store import InventoryStore
    from domain.models import Location, Network, Sku

    store = InventoryStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    store.load_network(
        Network(
            skus=[Sku(sku="SKIN-SERUM", weight_lb=0.3)],
            locations=[
                Location(
                    id="SLC-3PL",
                    kind="3pl",
                    postal_code="84104",
                    adapter=WebhookAdapterConfig(url="http://169.254.169.254/latest/meta-data/"),
                )
            ],
        )
    )
    adapters = LocationAdapters(sink=lambda *args: None)  # type: ignore[arg-type]
    try:
        dispatch = DispatchActivities(adapters, NetworkCache(store), None)
        with pytest.raises(ApplicationError) as failed:
            await ActivityEnvironment().run(dispatch.dispatch_fulfillment, request())
    finally:
        await adapters.aclose()
        store.close()
    assert failed.value.non_retryable and failed.value.type == "UnsafeWebhookUrl"
    assert "cloud metadata address" in failed.value.message
