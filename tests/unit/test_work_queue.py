"""A queue entry says who receives the package and what its SLA asks for next, by when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.fulfillment import FulfillmentView, TimelineEntry
from domain.models import (
    DEFAULT_SLA,
    DeliveryType,
    FulfillmentStatus,
)
from services.work_queue import next_deadline, recipient_of
from tests.support.builders import fulfillment_view, order_view

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def package(status: FulfillmentStatus, delivery: DeliveryType, *steps: str) -> FulfillmentView:
    """A1-F1 at CHI-STORE, its ``steps`` an hour apart from T0."""
    events = [TimelineEntry(at=T0 + timedelta(hours=i), type=s) for i, s in enumerate(steps)]
    return fulfillment_view(
        "A1-F1", "CHI-STORE", status, {"S": 1}, delivery=delivery, events=events
    )


def test_a_shipment_goes_to_the_ship_to_name_else_the_customer() -> None:
    assert recipient_of(order_view(DeliveryType.SHIP, "Dana at work")) == "Dana at work"
    assert recipient_of(order_view(DeliveryType.SHIP)) == "Dana Denver"


def test_a_pickup_is_collected_by_the_customer() -> None:
    assert recipient_of(order_view(DeliveryType.PICKUP, "Front desk")) == "Dana Denver"


def test_acceptance_is_due_from_dispatch() -> None:
    due = next_deadline(
        package(FulfillmentStatus.DISPATCHED, DeliveryType.SHIP, "dispatched"), DEFAULT_SLA
    )
    assert due == ("accept", T0 + DEFAULT_SLA.accept)  # type: ignore[operator]


def test_shipping_is_due_from_acceptance() -> None:
    accepted = package(
        FulfillmentStatus.PICKED, DeliveryType.SHIP, "dispatched", "accepted", "picked"
    )
    assert next_deadline(accepted, DEFAULT_SLA) == (
        "ship",
        T0 + timedelta(hours=1) + DEFAULT_SLA.ship,
    )  # type: ignore[operator]


def test_a_pickup_is_due_ready_from_dispatch_then_collected_within_its_window() -> None:
    accepted = package(FulfillmentStatus.ACCEPTED, DeliveryType.PICKUP, "dispatched", "accepted")
    assert next_deadline(accepted, DEFAULT_SLA) == (
        "ready_for_pickup",
        T0 + DEFAULT_SLA.ready_for_pickup,
    )  # type: ignore[operator]
    ready = package(
        FulfillmentStatus.READY_FOR_PICKUP, DeliveryType.PICKUP, "dispatched", "accepted",
        "ready_for_pickup",
    )  # fmt: skip
    assert next_deadline(ready, DEFAULT_SLA) == (
        "pickup",
        T0 + timedelta(hours=2) + DEFAULT_SLA.pickup_window,
    )  # type: ignore[operator]
