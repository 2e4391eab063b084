"""Returns: which shipped units a customer may send back, what they are worth, and what
the return location found in the parcel.

A return comes days after its order's workflow ended, so each return is its own small
process (``workflows/returns.py``); the rules it and the API share live here, in plain
Python: what is returnable (shipped, within the window, not already authorized), the
refund a return is worth, and whether a location's "received" report fits the return.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, Field, computed_field

from domain.errors import InvalidOrder, ReturnEventRefused, ReturnRefused
from domain.fulfillment import TimelineEntry, is_delivered
from domain.geo import Point, miles_between
from domain.models import EVENT_ID_PATTERN, Identifier, Location, Network, OrderLine
from domain.money import DEFAULT_CURRENCY
from domain.orders import OrderView
from domain.return_states import Condition, ReturnStatus, ReturnSummary

# How long after its package left a line may be returned (``DOM_RETURN_WINDOW_DAYS``).
DEFAULT_RETURN_WINDOW_DAYS = 30
# How long an authorized return waits for its parcel before it expires.
RETURN_EXPIRES_AFTER = timedelta(days=60)
MAX_RETURN_LINES = 200


class ReturnLineRequest(BaseModel):
    """One line of ``POST /orders/{id}/returns``."""

    line_id: Identifier
    quantity: int = Field(gt=0, le=10_000)
    reason: str = Field(min_length=1, max_length=500)


class ReturnRequest(BaseModel):
    """Body of ``POST /orders/{id}/returns``."""

    lines: list[ReturnLineRequest] = Field(min_length=1, max_length=MAX_RETURN_LINES)
    return_to: Identifier | None = Field(
        default=None, description="The location the parcel goes back to (default: the nearest "
        "location that takes returns)",
    )  # fmt: skip
    request_id: str | None = Field(
        default=None,
        pattern=EVENT_ID_PATTERN,
        max_length=200,
        description="An idempotency key: the same request_id again answers the same return",
    )


class ReturnLine(BaseModel):
    """An authorized line: what the customer sends back, and what one unit refunds."""

    line_id: str
    sku: str
    quantity: int = Field(gt=0)
    reason: str = ""
    unit_price: Decimal | None = None


class ReceivedLine(BaseModel):
    """What the return location found of one line."""

    line_id: Identifier
    quantity: int = Field(ge=0, le=10_000)
    condition: Condition


class ReturnReport(BaseModel):
    """Body of ``POST /locations/{location_id}/returns/{return_id}/events``."""

    type: str = Field(pattern="^received$", description="Only 'received' for now")
    event_id: str = Field(pattern=EVENT_ID_PATTERN, max_length=200)
    lines: list[ReceivedLine] = Field(min_length=1, max_length=MAX_RETURN_LINES)


class ReturnEventEnvelope(BaseModel):
    """A location's report as it travels to the return's workflow."""

    location_id: str
    report: ReturnReport
    actor: str = "location"
    # Minted by the gateway per request, echoed in the answer: a repeat carries the first's.
    request_id: str | None = None


class Restock(BaseModel):
    """The receive activity's input: put the sellable units back, record the damaged."""

    return_id: str
    order_id: str
    location_id: str
    sellable: dict[str, int]  # sku -> units back on hand
    damaged: dict[str, int]  # sku -> units written off (no stock moves)
    lines: list[ReceivedLine]
    actor: str


class ReturnView(BaseModel):
    """A return's whole state: what ``GET /returns/{id}`` answers."""

    return_id: str
    order_id: str
    status: ReturnStatus
    location_id: str
    currency: str = DEFAULT_CURRENCY
    lines: list[ReturnLine]
    authorized_at: datetime
    authorized_by: str = "support"
    request_id: str | None = None
    received: list[ReceivedLine] = Field(default_factory=list)
    received_event_id: str | None = None
    events: list[TimelineEntry] = Field(default_factory=list)

    @computed_field(  # type: ignore[prop-decorator]
        description="unit_price x quantity of the authorized lines, a decimal string in "
        "`currency`; null when the order carried no prices"
    )
    @property
    def refund_due(self) -> Decimal | None:
        return worth(self.lines, {line.line_id: line.quantity for line in self.lines})

    @computed_field(  # type: ignore[prop-decorator]
        description="unit_price x quantity of the units received (sellable and damaged "
        "alike); null until received, or when the order carried no prices"
    )
    @property
    def refund(self) -> Decimal | None:
        if not self.received:
            return None
        return worth(self.lines, received_by_line(self.received))

    def summary(self) -> ReturnSummary:
        return ReturnSummary(
            return_id=self.return_id,
            status=self.status,
            location_id=self.location_id,
            refund_due=self.refund_due,
            currency=self.currency,
        )

    def counts(self) -> dict[str, int]:
        """Units received by condition: ``{"sellable": n, "damaged": m}``."""
        totals = {c.value: 0 for c in Condition}
        for line in self.received:
            totals[line.condition.value] += line.quantity
        return totals


@dataclass(frozen=True, slots=True)
class Shipped:
    """Units of one order line that reached the customer, and when the last of them left."""

    units: int
    last_at: datetime | None


def worth(lines: Iterable[ReturnLine], units: Mapping[str, int]) -> Decimal | None:
    """What ``units`` (line_id -> units) of ``lines`` refund; None if no line has a price."""
    priced = [line for line in lines if line.unit_price is not None]
    if not priced:
        return None
    total = Decimal(0)
    for line in priced:
        total += (line.unit_price or Decimal(0)) * units.get(line.line_id, 0)
    return total


def received_by_line(received: Iterable[ReceivedLine]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in received:
        totals[line.line_id] = totals.get(line.line_id, 0) + line.quantity
    return totals


def shipped_lines(order: OrderView) -> dict[str, Shipped]:
    """line_id -> units that reached the customer. Packages carry SKUs, not lines: a SKU's
    delivered units go to the order's lines of that SKU in their order, each up to its
    quantity; ``last_at`` is when the last package carrying that SKU left (or was
    collected)."""
    delivered: dict[str, int] = {}
    left_at: dict[str, datetime] = {}
    for package in order.fulfillments:
        if not is_delivered(package.status):
            continue
        when = max(
            (e.at for e in package.events if e.type in ("shipped", "picked_up")), default=None
        )
        for line in package.lines:
            delivered[line.sku] = delivered.get(line.sku, 0) + line.quantity
            if when is not None and (line.sku not in left_at or when > left_at[line.sku]):
                left_at[line.sku] = when
    shipped: dict[str, Shipped] = {}
    for ordered in order.lines:
        units = min(ordered.quantity, delivered.get(ordered.sku, 0))
        delivered[ordered.sku] = delivered.get(ordered.sku, 0) - units
        shipped[ordered.line_id] = Shipped(units, left_at.get(ordered.sku))
    return shipped


def authorize(
    order: OrderView,
    request: ReturnRequest,
    earlier: Mapping[str, int],
    *,
    now: datetime,
    window: timedelta,
) -> list[ReturnLine]:
    """The lines ``request`` may return, priced; else why not.

    ``earlier``: line_id -> units earlier returns of the order already authorized.
    An unknown line is an ``InvalidOrder`` naming it (422); a line that never shipped,
    more than shipped less what earlier returns took, or a line whose package left more
    than ``window`` ago is a ``ReturnRefused`` naming the line (409)."""
    by_id: dict[str, OrderLine] = {line.line_id: line for line in order.lines}
    shipped = shipped_lines(order)
    asked: dict[str, int] = {}
    for i, wanted in enumerate(request.lines):
        if wanted.line_id not in by_id:
            raise InvalidOrder(
                f"order {order.order_id} has no line {wanted.line_id!r}",
                field=("lines", i, "line_id"),
            )
        asked[wanted.line_id] = asked.get(wanted.line_id, 0) + wanted.quantity
    for line_id, units in asked.items():
        sent = shipped[line_id]
        if sent.units == 0:
            raise ReturnRefused(
                f"line {line_id} of order {order.order_id} never shipped "
                f"(the order is {order.status.value}): nothing to return"
            )
        left = sent.units - earlier.get(line_id, 0)
        if units > left:
            raise ReturnRefused(
                f"line {line_id}: {units} unit(s) asked, but {sent.units} shipped and "
                f"{earlier.get(line_id, 0)} already authorized for return, so {max(left, 0)} "
                "may be returned"
            )
        if sent.last_at is not None and now > sent.last_at + window:
            days = window.total_seconds() / 86400
            raise ReturnRefused(
                f"line {line_id} left on {sent.last_at:%Y-%m-%d}: past the return window "
                f"of {days:g} day(s)"
            )
    reasons: dict[str, list[str]] = {}
    for wanted in request.lines:  # a line named twice is one line, its reasons joined
        if wanted.reason not in reasons.setdefault(wanted.line_id, []):
            reasons[wanted.line_id].append(wanted.reason)
    return [
        ReturnLine(
            line_id=line_id,
            sku=by_id[line_id].sku,
            quantity=units,
            reason="; ".join(reasons[line_id])[:500],
            unit_price=by_id[line_id].unit_price,
        )
        for line_id, units in asked.items()
    ]


def return_location(network: Network, destination: Point, named: str | None) -> Location:
    """Where the parcel goes back: the location named (it must exist, be active and take
    returns), else the active location that takes returns nearest the order's
    destination (nearest is cheapest to ship back to, as in the routing's zones);
    ``ReturnRefused`` when none does."""
    takes = [loc for loc in network.locations if loc.active and loc.returns]
    if named is not None:
        chosen = next((loc for loc in network.locations if loc.id == named), None)
        if chosen is None:
            raise InvalidOrder(f"unknown location {named!r}", field="return_to")
        if chosen not in takes:
            raise ReturnRefused(f"location {named} takes no returns now")
        return chosen
    if not takes:
        raise ReturnRefused("no active location takes returns")
    return min(takes, key=lambda loc: (miles_between(loc.point, destination), loc.id))


def check_receipt(view: ReturnView, report: ReturnReport) -> None:
    """Raise ``ReturnEventRefused`` (409) unless ``report`` fits the return: it is still
    awaited, every line is one of its lines, and no line counts more than authorized."""
    if view.status is not ReturnStatus.AUTHORIZED:
        raise ReturnEventRefused(
            f"return {view.return_id} is already {view.status.value}; "
            f"'{report.type}' cannot change it"
        )
    authorized = {line.line_id: 0 for line in view.lines}
    for line in view.lines:
        authorized[line.line_id] += line.quantity
    counted = received_by_line(report.lines)
    for line_id, units in counted.items():
        if line_id not in authorized:
            raise ReturnEventRefused(f"line {line_id!r} is not part of return {view.return_id}")
        if units > authorized[line_id]:
            raise ReturnEventRefused(
                f"line {line_id}: {units} unit(s) received, but {authorized[line_id]} were "
                f"authorized for return {view.return_id}"
            )
    if not any(counted.values()):
        raise ReturnEventRefused("a 'received' report needs at least one unit")


def is_repeat_report(view: ReturnView, report: ReturnReport) -> bool:
    """True if this ``event_id`` was already applied (its repeat changes nothing)."""
    return view.received_event_id is not None and view.received_event_id == report.event_id


def restock_of(view: ReturnView, report: ReturnReport, actor: str) -> Restock:
    """What the receive activity does for ``report``: SKU units by condition."""
    sku_of = {line.line_id: line.sku for line in view.lines}
    by_condition: dict[Condition, dict[str, int]] = {c: {} for c in Condition}
    for line in report.lines:
        if line.quantity:
            units = by_condition[line.condition]
            sku = sku_of[line.line_id]
            units[sku] = units.get(sku, 0) + line.quantity
    return Restock(
        return_id=view.return_id,
        order_id=view.order_id,
        location_id=view.location_id,
        sellable=by_condition[Condition.SELLABLE],
        damaged=by_condition[Condition.DAMAGED],
        lines=report.lines,
        actor=actor,
    )


class NewReturn(BaseModel):
    """A return's workflow input: the return as authorized, and the event types its
    subscribers wanted when it was (it publishes only those)."""

    view: ReturnView
    event_types: list[str] = Field(default_factory=list)


class ReturnReceipt(BaseModel):
    """The answer to a return location's report. ``request_id``: the request that applied
    it; a repeat answered from the first update carries the first one's (``duplicate``)."""

    return_id: str
    order_id: str
    location_id: str
    status: ReturnStatus
    duplicate: bool = False
    request_id: str | None = None

    @classmethod
    def of(
        cls, view: ReturnView, *, duplicate: bool = False, request_id: str | None = None
    ) -> ReturnReceipt:
        return cls(
            return_id=view.return_id,
            order_id=view.order_id,
            location_id=view.location_id,
            status=view.status,
            duplicate=duplicate,
            request_id=request_id,
        )

    def answering(self, request_id: str) -> ReturnReceipt:
        """This receipt as the answer to request ``request_id`` (a repeat if another applied it)."""
        repeat = self.request_id is not None and self.request_id != request_id
        return self.model_copy(update={"duplicate": self.duplicate or repeat, "request_id": None})


class ReturnStatusChange(BaseModel):
    """The status activity's input: the store's copy of a return moves forward."""

    return_id: str
    status: ReturnStatus
