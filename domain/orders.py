"""What an order and its fulfillments look like in flight: the state the workflows keep,
the queries return and the API shows, and the messages between workflows and activities."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, Field, computed_field
from pydantic.json_schema import SkipJsonSchema

from domain.fulfillment import FulfillmentView, LocationEvent, TimelineEntry
from domain.holds import Hold
from domain.models import (
    Contact,
    DeliveryType,
    Destination,
    FulfillmentStatus,
    OrderLine,
    OrderStatus,
    PlacedOrder,
    ServiceLevel,
    Sla,
    units_by_sku,
)
from domain.money import DEFAULT_CURRENCY, subtotal
from domain.personal import SealedPersonal
from domain.return_states import ReturnSummary
from domain.routing.types import RoutingDecision, RoutingLine


class FulfillmentRequest(BaseModel):
    """Everything a location needs to fill one package (what adapters send)."""

    fulfillment_id: str
    order_id: str
    location_id: str
    lines: list[RoutingLine]
    ship_to: Destination
    customer_name: str
    service_level: ServiceLevel
    delivery: DeliveryType = DeliveryType.SHIP
    sla: Sla
    created_at: datetime | None = None
    # The customer's name and the street, sealed (``ship_to`` and ``customer_name`` then
    # hold nothing personal); the dispatch activity opens it for the location.
    personal: SealedPersonal | None = None


class PackageLines(BaseModel):
    """Units of the order and where they stand, for a hold's answer: a package (held
    before its location heard of it, or already with it), units waiting for stock
    (``backordered``), or units not routed yet (``unplaced``)."""

    fulfillment_id: str | None = None
    location_id: str | None = None
    status: str
    lines: list[RoutingLine]


class HoldResult(BaseModel):
    """The answer to a hold: what it keeps back and what goes on regardless."""

    order_id: str
    status: OrderStatus
    holds: list[Hold]
    held: list[PackageLines] = Field(
        default_factory=list, description="What waits for the hold's release"
    )
    already_dispatched: list[PackageLines] = Field(
        default_factory=list,
        description="Packages a location already has: they go on (cancel or reroute them "
        "to stop them)",
    )


class OrderView(BaseModel):
    """The whole state of an order: what ``GET /orders/{id}`` returns."""

    order_id: str
    status: OrderStatus
    customer: Contact | None = Field(
        default=None, description="Who placed the order; null once the customer was erased"
    )
    ship_to: Destination
    lines: list[OrderLine]
    service_level: ServiceLevel
    delivery: DeliveryType
    pickup_location_id: str | None = None
    fulfillments: list[FulfillmentView] = Field(default_factory=list)
    backordered: list[RoutingLine] = Field(
        default_factory=list, description="Units waiting for stock, held nowhere"
    )
    backorder_until: datetime | None = None
    holds: list[Hold] = Field(
        default_factory=list,
        description="Active holds (reason, note, actor, since, expires_at): while any is, "
        "nothing more is dispatched",
    )
    held: list[PackageLines] = Field(
        default_factory=list,
        description="Packages routed and reserved but kept from their location by a hold",
    )
    reroutes: int = 0
    routing: RoutingDecision | None = None
    routing_history: list[RoutingDecision] = Field(default_factory=list)
    reason: str | None = None
    pending: list[str] = Field(
        default_factory=list,
        description="Work still under way for packages already closed: locations being told "
        "to stop, units being released or committed",
    )
    events: list[TimelineEntry] = Field(default_factory=list)
    currency: str = Field(default=DEFAULT_CURRENCY, description="ISO 4217 code of the prices")
    returns: list[ReturnSummary] = Field(
        default_factory=list,
        description="The order's returns (POST /orders/{id}/returns), the oldest first",
    )
    customer_erased: bool = Field(
        default=False,
        description="The customer's personal data was erased (POST /customers/erase): no "
        "name, e-mail or street is left; the lines, statuses and money stay",
    )
    # The customer and the street as the workflow holds them: sealed under the customer's
    # key. Readers open it (``services/personal.py``) before anyone sees the view; never
    # part of an answer (the API leaves it out, and out of its schema).
    personal: SkipJsonSchema[SealedPersonal | None] = None

    @computed_field(  # type: ignore[prop-decorator]
        description="What the lines add up to (quantity x unit_price), in `currency`; "
        "null when the order carries no prices"
    )
    @property
    def subtotal(self) -> Decimal | None:
        return subtotal(self.lines)


def shipped_summary(view: OrderView) -> str:
    """``"A1-F1 from SLC-3PL (UPS 1Z...)"`` for each package that already left, comma-separated."""
    return ", ".join(
        f"{f.fulfillment_id} from {f.location_id}"
        + (f" ({f.carrier} {f.tracking_number})" if f.tracking_number else "")
        for f in view.fulfillments
        if f.status in (FulfillmentStatus.SHIPPED, FulfillmentStatus.PICKED_UP)
    )


class AllocationRequest(BaseModel):
    """Ask the allocate activity to route and reserve what is still unplaced."""

    order_id: str
    allocation_key: str
    first_fulfillment_number: int
    lines: list[RoutingLine]
    ship_to: Destination
    customer_name: str
    personal: SealedPersonal | None = None
    dest_lat: float
    dest_lon: float
    service_level: ServiceLevel
    delivery: DeliveryType
    pickup_location_id: str | None = None
    exclude_location_ids: list[str] = Field(default_factory=list)
    force_location_id: str | None = None
    channel: str | None = None
    dry_run: bool = False
    # Why these units are placed again (the failed package's status, or ``operator``);
    # None for the order's first plan and a backorder's. Only metrics read it.
    reroute_reason: str | None = None


class OrderPolicy(BaseModel):
    """The network's rules for one order's bad days (from the network file)."""

    backorder_window: timedelta = timedelta(days=3)
    max_reroutes: int = 3


class Allocation(BaseModel):
    """The routing decision and the packages it reserved (none when unfulfillable or a dry run)."""

    decision: RoutingDecision
    fulfillments: list[FulfillmentRequest] = Field(default_factory=list)
    policy: OrderPolicy = Field(default_factory=OrderPolicy)


class CancelAtLocationRequest(BaseModel):
    """Tell a location to stop working on a fulfillment."""

    request: FulfillmentRequest
    reason: str


class ShortfallNotice(BaseModel):
    """A location found fewer units than reserved; the missing ones need a new home."""

    fulfillment_id: str
    location_id: str
    missing: list[RoutingLine]


class ShortfallRecord(BaseModel):
    """Correct the location's stock for a short pick (idempotent on ``key``)."""

    order_id: str
    fulfillment_id: str
    location_id: str
    missing: list[RoutingLine]
    key: str


class BackorderRecord(BaseModel):
    """The order waits for these SKUs (so a receipt can wake it); empty list: waits for none."""

    order_id: str
    skus: list[str]


class RerouteRequest(BaseModel):
    """Operations moves an order's open packages (body of ``POST /orders/{id}/reroute``)."""

    exclude_location_ids: list[str] = Field(default_factory=list)
    location_id: str | None = Field(default=None, description="Force the packages here")
    reason: str = Field(min_length=1, max_length=500)
    actor: str = "ops"


class RerouteResult(BaseModel):
    """What a reroute did: which packages it cancelled and the new plan."""

    order_id: str
    cancelled_fulfillment_ids: list[str]
    decision: RoutingDecision
    fulfillments: list[FulfillmentView]
    pending: list[str] = Field(
        default_factory=list, description="Work still under way for the packages taken back"
    )


class CancelRequest(BaseModel):
    """Body of ``POST /orders/{id}/cancel``."""

    reason: str = Field(min_length=1, max_length=500)
    actor: str = "support"


class EventReceipt(BaseModel):
    """The answer to a location event: where the fulfillment stands after it, and whether
    the event was new. Small on purpose: it is written into the package's history once per
    event; the whole fulfillment is one ``GET`` away."""

    fulfillment_id: str
    order_id: str
    location_id: str
    status: FulfillmentStatus
    duplicate: bool = False

    @classmethod
    def of(cls, view: FulfillmentView, *, duplicate: bool = False, **extra: object) -> Self:
        """The receipt for ``view`` (``extra``: a subclass's own fields)."""
        return cls(
            fulfillment_id=view.fulfillment_id,
            order_id=view.order_id,
            location_id=view.location_id,
            status=view.status,
            duplicate=duplicate,
            **extra,
        )


class EventOutcome(EventReceipt):
    """The workflow's answer to a location event: the receipt, with the ``request_id`` of
    the envelope that applied it. A repeat that Temporal answers from the first update
    (same update id) carries the first request's id, which is how the gateway tells the
    repeat (``duplicate: true``) without a query and without a new update."""

    request_id: str | None = None

    @classmethod
    def answering(
        cls, envelope: LocationEventEnvelope, view: FulfillmentView, *, duplicate: bool = False
    ) -> EventOutcome:
        return cls.of(view, duplicate=duplicate, request_id=envelope.request_id)

    def receipt(self, request_id: str) -> EventReceipt:
        """The receipt for the request ``request_id``: a repeat if another request applied it."""
        repeat = self.request_id is not None and self.request_id != request_id
        return EventReceipt(
            **self.model_dump(exclude={"request_id", "duplicate"}),
            duplicate=self.duplicate or repeat,
        )


class OrderOutcome(BaseModel):
    """What an order workflow returns when it ends: how it ended, and its final state.

    The final ``OrderView`` is the order's last word, read by ``GET /orders/{id}`` once
    the workflow has closed: from the close event, by the server alone. Without it, each
    read of a closed order had a worker replay the order's whole history to answer a
    query (and needed a worker running at all)."""

    order_id: str
    status: OrderStatus
    reason: str | None = None
    fulfillments: dict[str, FulfillmentStatus] = Field(
        default_factory=dict, description="Each package's final status, by fulfillment id"
    )
    view: OrderView | None = None


class LocationEventEnvelope(BaseModel):
    """A location event as it travels to the order workflow."""

    location_id: str
    fulfillment_id: str | None = None
    event: LocationEvent
    actor: str = "location"
    received_at: datetime | None = None
    # Minted by the gateway per request, echoed in the workflow's ``EventOutcome``.
    request_id: str | None = None


def merge_lines(lines: list[RoutingLine]) -> list[RoutingLine]:
    """Add up lines of the same SKU (order of first appearance kept)."""
    return [RoutingLine(sku=s, quantity=q) for s, q in units_by_sku(lines).items() if q > 0]


class CarriedPackage(BaseModel):
    """A settled package as the next run needs it (its view travels in the order's)."""

    request: FulfillmentRequest
    dispatched_at: datetime
    dispatch_started: bool = False
    stopped: bool = False


class CarriedPlacement(BaseModel):
    """Where the order's placement stood: numbers it must never reuse, places it avoids."""

    excluded: list[str] = Field(default_factory=list)
    next_fulfillment: int = 1
    allocations: int = 0  # allocation keys are ``<order>:A<n>``: the next run goes on from here
    noted_backorder: list[str] = Field(default_factory=list)  # the SKUs the store was told
    policy: OrderPolicy = Field(default_factory=OrderPolicy)


class CarriedOrder(BaseModel):
    """What an order carries into its next run when it continues as new: everything its
    queries, its search attributes and its answers to repeats depend on."""

    view: OrderView
    packages: list[CarriedPackage] = Field(default_factory=list)
    placement: CarriedPlacement = Field(default_factory=CarriedPlacement)
    # Routed and reserved, kept from their locations by a hold (the holds are in ``view``).
    held_packages: list[FulfillmentRequest] = Field(default_factory=list)
    events_published: int = 0  # published event ids are ``<order>:E<n>``
    stock_arrived: bool = False  # a stock signal not yet acted on: the next run retries
    runs: int = 1  # how many runs came before this one


class NewOrder(PlacedOrder):
    """The order workflow's input: the order, and how it was placed.

    The fields beyond ``PlacedOrder``'s are all optional: orders started before they
    existed kept them in the workflow's memo (``workflows/search.py``), and their input,
    a plain ``PlacedOrder``, still loads as a ``NewOrder`` with each of them None."""

    # Who placed it (the timeline's first actor): "checkout", "shopify", an operator.
    placed_by: str | None = None
    # The event types (``domain.events``) subscribers wanted when it was placed: the order
    # publishes only those (an empty list: no publish activity at all).
    event_types: list[str] | None = None
    # How its workflow calls the store: "local" (allocate and commit_shipment as local
    # activities) or "activity"; fixed for the order's whole life.
    store_calls: str | None = None
    # Why the edge refused it though it must be kept (a storefront's order with a SKU
    # that is not ours): the workflow ends ``failed`` at once, saying why.
    refused: str | None = None
    # The customer and the exact destination, sealed under the customer's key; then
    # ``customer`` is None and ``ship_to`` holds only the ZIP and a rounded point.
    personal: SealedPersonal | None = None
    # Set only by the order's workflow as it continues as new: what the earlier run knew
    # (``workflows/continuation.py``). Never set by the edge.
    carried: CarriedOrder | None = None


class OrderSummary(BaseModel):
    """One line of an order search: enough to pick the order to open."""

    order_id: str
    status: str | None
    placed_at: datetime
    closed_at: datetime | None = None
    locations: list[str] = Field(default_factory=list)
    skus: list[str] = Field(default_factory=list)
    customer: Contact | None = Field(
        default=None, description="Whose order (null: erased, or an order from before)"
    )
    customer_erased: bool = False
