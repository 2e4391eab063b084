"""Issue 14 in the workflow: the events an order publishes (only those subscribed, in the
background, never holding the order up), and an order refused at the edge that is kept
as failed at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.names import PUBLISH_EVENT
from domain.errors import CancelRefused, RerouteRefused
from domain.events import EventType, PublishedEvent
from domain.ids import order_workflow_id
from domain.models import Contact, Destination, OrderLine, OrderStatus, PlacedOrder
from domain.orders import CancelRequest, NewOrder, RerouteRequest
from starter.gateway.orders import OrderGateway
from tests.support.builders import order_request as order
from tests.support.keys import TEST_KEYS
from tests.support.workflows import rig, settle

ALL = [t.value for t in EventType]


@dataclass
class Subscribers:
    """Stands in for the publish activity: records each event (or refuses them all)."""

    events: list[PublishedEvent] = field(default_factory=list)
    down: bool = False

    @activity.defn(name=PUBLISH_EVENT)
    async def publish(self, event: PublishedEvent) -> int:
        self.events.append(event)
        if self.down:
            raise ApplicationError("the ERP is down", non_retryable=True)
        return 1


def lines(**units: int) -> list[dict[str, object]]:
    return [
        {"line_id": str(i), "sku": s, "quantity": q} for i, (s, q) in enumerate(units.items(), 1)
    ]


def in_order(events: list[PublishedEvent]) -> list[PublishedEvent]:
    """By the number in the id: deliveries run side by side, so they may arrive out of order."""
    return sorted(events, key=lambda e: int(e.id.rpartition(":E")[2]))


async def test_an_order_publishes_its_life_to_the_types_subscribed(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    subscribers = Subscribers()
    async with rig(time_env, task_queue, tmp_path, replace=[subscribers.publish]) as r:
        await r.place(order("EV1", lines=lines(A=1)), subscribed=ALL)
        package = await r.package("EV1", 1)
        await r.ship(package, tracking="1Z-EV1")
        final = await settle(time_env, "EV1")
    assert final.status is OrderStatus.SHIPPED
    events = in_order(subscribers.events)
    assert [(e.id, e.type.value) for e in events] == [
        ("EV1:E1", "order.received"),
        ("EV1:E2", "order.allocated"),
        ("EV1:E3", "fulfillment.dispatched"),
        ("EV1:E4", "fulfillment.shipped"),
        ("EV1:E5", "order.shipped"),
    ]
    shipped = events[3]
    assert shipped.data["fulfillment_id"] == package
    assert shipped.data["tracking_number"] == "1Z-EV1"
    assert events[-1].data["status"] == "shipped"
    assert "routing_history" not in events[1].data
    assert events[1].data["routing"]["status"] == "routed"


async def test_only_the_types_subscribed_and_a_subscriber_down_never_holds_the_order(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    subscribers = Subscribers(down=True)
    async with rig(time_env, task_queue, tmp_path, replace=[subscribers.publish]) as r:
        await r.place(order("EV2", lines=lines(A=1)), subscribed=["order.shipped"])
        await r.place(order("EV3", lines=lines(B=1)))  # nobody subscribed: no activity
        await r.ship(await r.package("EV2", 1))
        await r.ship(await r.package("EV3", 1))
        assert (await settle(time_env, "EV2")).status is OrderStatus.SHIPPED
        assert (await settle(time_env, "EV3")).status is OrderStatus.SHIPPED
    assert [(e.order_id, e.type.value) for e in subscribers.events] == [("EV2", "order.shipped")]


async def test_an_order_refused_at_the_edge_fails_at_once_saying_why(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    subscribers = Subscribers()
    refused = PlacedOrder(
        order_id="RF1",
        customer=Contact(name="John Smith", email="jon@example.com"),
        ship_to=Destination(postal_code="40003"),
        lines=[OrderLine(line_id="1", sku="SKU2006-001", quantity=1)],
        channel="shopify",
    )
    why = "the Shopify order cannot be placed: unknown SKU 'SKU2006-001'"
    async with rig(time_env, task_queue, tmp_path, replace=[subscribers.publish]) as r:
        await r.place(refused, refused=why, placed_by="shopify:orders-create", subscribed=ALL)
        final = await settle(time_env, "RF1")
        assert r.store.reservations("RF1") == []
    assert (final.status, final.reason) == (OrderStatus.FAILED, why)
    assert final.fulfillments == [] and final.routing_history == []
    assert [e.type for e in final.events] == ["received", "failed"]
    assert final.events[0].actor == "shopify:orders-create"
    assert [e.type.value for e in in_order(subscribers.events)] == [
        "order.received",
        "order.failed",
    ]


async def test_a_new_order_says_how_it_was_placed_in_its_input_not_its_memo(
    time_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    """``NewOrder`` carries who placed it, the event types subscribed and how it calls the
    store; the memo keeps the body's fingerprint (what a repeat is checked against) and the
    customer sealed under their own key (what a search result opens to show whose it is).
    Its history (``IN1``) is replayed with the rest; the older ones, memo and all, too."""
    subscribers = Subscribers()
    async with rig(time_env, task_queue, tmp_path, replace=[subscribers.publish]) as r:
        await r.place(order("IN1", lines=lines(A=1)), placed_by="ops:kim", subscribed=ALL)
        await r.ship(await r.package("IN1", 1))
        final = await settle(time_env, "IN1")
        handle = time_env.client.get_workflow_handle(order_workflow_id("IN1"))
        memo = await (await handle.describe()).memo()
        history = await handle.fetch_history()
    assert final.status is OrderStatus.SHIPPED and final.events[0].actor == "ops:kim"
    assert set(memo) == {"request_sha256", "personal"}
    assert set(memo["personal"]) == {"key_id", "data"}  # sealed: no name, no address
    started = history.events[0].workflow_execution_started_event_attributes
    (placed,) = await time_env.client.data_converter.decode(
        started.input.payloads, type_hints=[NewOrder]
    )
    assert (placed.placed_by, placed.store_calls) == ("ops:kim", "local")
    assert placed.event_types == sorted(ALL) and placed.refused is None
    scheduled = {
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    }
    assert "allocate" not in scheduled  # reserved as a local activity, as the input says
    assert in_order(subscribers.events)[0].type.value == "order.received"


class _NoClient:
    """Stands in for the Temporal client: hands out a handle and nothing else."""

    def get_workflow_handle_for(self, run: object, workflow_id: str) -> object:
        return SimpleNamespace(id=workflow_id)


@pytest.mark.parametrize("type_", ["CancelRefused", "RerouteRefused", "NotReroutable"])
async def test_each_refusal_reaches_the_caller_by_its_name_and_the_old_one_still_does(
    type_: str,
) -> None:
    """An order on workflow code from before the refusals had names answers NotReroutable
    to both: the gateway maps it to the refusal of the request it sent."""
    gateway = OrderGateway(_NoClient(), "q", search_hash_key=TEST_KEYS.search_hash, vault=None)  # type: ignore[arg-type]

    async def refused(*args: object) -> object:
        raise WorkflowUpdateFailedError(ApplicationError("no, because", type=type_))

    gateway._update = refused  # type: ignore[method-assign]
    cancel, reroute = CancelRequest(reason="x"), RerouteRequest(location_id="L1", reason="x")
    if type_ != "RerouteRefused":
        with pytest.raises(CancelRefused, match="no, because"):
            await gateway.cancel("O1", cancel)
    if type_ != "CancelRefused":
        with pytest.raises(RerouteRefused, match="no, because"):
            await gateway.reroute("O1", reroute)
