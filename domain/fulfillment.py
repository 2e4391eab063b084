"""One package's life at a location: the state it is in, the events it accepts and the
rules that move it (``domain/orders.py`` builds the order on top of these).

Locations often skip steps (a 3PL may report only ``shipped``), so any forward move
along the flow is allowed; moving back, repeating a step, or touching a closed
fulfillment is an ``InvalidTransition``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from domain.errors import InvalidTransition
from domain.models import DeliveryType, Destination, FulfillmentStatus, LocationEventType
from domain.routing.types import RoutingLine

S = FulfillmentStatus
E = LocationEventType

_SHIP_FLOW = [S.DISPATCHED, S.ACCEPTED, S.PICKED, S.PACKED, S.SHIPPED]
_PICKUP_FLOW = [S.DISPATCHED, S.ACCEPTED, S.PICKED, S.PACKED, S.READY_FOR_PICKUP, S.PICKED_UP]
_PROGRESS = {
    E.ACCEPTED: S.ACCEPTED,
    E.PICKED: S.PICKED,
    E.PACKED: S.PACKED,
    E.SHIPPED: S.SHIPPED,
    E.READY_FOR_PICKUP: S.READY_FOR_PICKUP,
    E.PICKED_UP: S.PICKED_UP,
}
# A location may give up on a package until it has left the building.
_CAN_FAIL = {S.DISPATCHED, S.ACCEPTED, S.PICKED, S.PACKED}


class EventLine(BaseModel):
    sku: str
    quantity: int = Field(ge=0)


class LocationEvent(BaseModel):
    """What a location reports about a fulfillment (body of the events endpoint)."""

    type: LocationEventType
    lines: list[EventLine] | None = None
    carrier: str | None = Field(default=None, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=500)
    event_id: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _short_names_lines(self) -> LocationEvent:
        if self.type is E.SHORT and not self.lines:
            raise ValueError("a 'short' event must list the lines and quantities actually found")
        return self


class TimelineEntry(BaseModel):
    """One line of an order's history, as support staff read it."""

    at: datetime
    type: str
    fulfillment_id: str | None = None
    location_id: str | None = None
    reason: str | None = None
    actor: str = "system"
    detail: dict[str, object] | None = None


class FulfillmentView(BaseModel):
    """One package's state as its workflow knows it."""

    fulfillment_id: str
    order_id: str
    location_id: str
    status: FulfillmentStatus
    lines: list[RoutingLine]
    delivery: DeliveryType = DeliveryType.SHIP
    carrier: str | None = None
    tracking_number: str | None = None
    reason: str | None = None
    ship_to: Destination | None = None
    events: list[TimelineEntry] = Field(default_factory=list)
    processed_events: dict[str, LocationEventType] = Field(
        default_factory=dict,
        description="Events already applied, by the location's event_id: a repeat of one "
        "changes nothing, and an event_id is never reused for another event",
    )


def next_status(
    current: FulfillmentStatus, event: LocationEventType, delivery: DeliveryType
) -> FulfillmentStatus:
    """The status after ``event``, or ``InvalidTransition`` saying why it makes no sense."""
    if not current.is_open:
        raise InvalidTransition(f"the fulfillment is already closed ({current.value})")
    if event is E.REJECTED:
        if current not in _CAN_FAIL:
            raise InvalidTransition(f"cannot reject a fulfillment that is {current.value}")
        return S.REJECTED
    if event is E.SHORT:
        if current not in _CAN_FAIL:
            raise InvalidTransition(
                f"cannot report a shortfall on a fulfillment that is {current.value}"
            )
        return current  # goes on with what was found; closes as SHORT only if nothing was
    target = _PROGRESS[event]
    flow = _PICKUP_FLOW if delivery is DeliveryType.PICKUP else _SHIP_FLOW
    if target not in flow:
        kind = "a pickup" if delivery is DeliveryType.PICKUP else "a ship-to-customer"
        raise InvalidTransition(f"'{event.value}' does not apply to {kind} fulfillment")
    if flow.index(target) <= flow.index(current):
        raise InvalidTransition(
            f"the fulfillment is already {current.value}; '{event.value}' would move it backwards"
            if flow.index(target) < flow.index(current)
            else f"the fulfillment is already {current.value}"
        )
    return target


def split_shortfall(
    lines: list[RoutingLine], found: list[EventLine]
) -> tuple[list[RoutingLine], list[RoutingLine]]:
    """(kept, missing) after a short pick. Lines the location does not mention were found
    in full; a mentioned SKU that is not in the package, or more found than asked for, is
    an ``InvalidTransition``."""
    asked = {line.sku: line.quantity for line in lines}
    reported: dict[str, int] = {}
    for line in found:
        if line.sku not in asked:
            raise InvalidTransition(f"SKU {line.sku!r} is not in this fulfillment")
        reported[line.sku] = reported.get(line.sku, 0) + line.quantity
    kept, missing = [], []
    for sku, quantity in asked.items():
        got = reported.get(sku, quantity)
        if got > quantity:
            raise InvalidTransition(f"found {got} of {sku} but only {quantity} were asked for")
        if got:
            kept.append(RoutingLine(sku=sku, quantity=got))
        if quantity - got:
            missing.append(RoutingLine(sku=sku, quantity=quantity - got))
    if not missing:
        raise InvalidTransition("a 'short' event must report fewer units than asked for")
    return kept, missing


def is_repeat(view: FulfillmentView, event: LocationEvent) -> bool:
    """True if ``event`` (by its ``event_id``) was already applied to the package; an
    ``InvalidTransition`` naming the first event if the id was used for another one."""
    if not event.event_id or event.event_id not in view.processed_events:
        return False
    first = view.processed_events[event.event_id]
    if first is not event.type:
        raise InvalidTransition(
            f"event_id {event.event_id!r} was already used for '{first.value}' on "
            f"{view.fulfillment_id}; a '{event.type.value}' event needs an event_id of its own"
        )
    return True


def is_delivered(status: FulfillmentStatus) -> bool:
    """The package reached the customer's hands (shipped, or collected in store)."""
    return status in (S.SHIPPED, S.PICKED_UP)
