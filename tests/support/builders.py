"""Builders: one per shape (an order as checkout sends it, as the API accepts it, as the
allocate activity asks for it, as the workflow shows it; a package's reservation; a
network; a routing request), each with the defaults most tests want and keywords for
what a test varies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic_core import to_jsonable_python

from adapters.store import InventoryStore, PackageReservation
from domain.checkout import OrderRequest, ShipTo
from domain.errors import UnknownPostalCode
from domain.fulfillment import FulfillmentView, TimelineEntry
from domain.geo import Point, zip_city, zip_point
from domain.ids import order_id_of_fulfillment
from domain.models import (
    Contact,
    DeliveryType,
    Destination,
    FulfillmentStatus,
    Location,
    LocationKind,
    Network,
    OrderLine,
    OrderStatus,
    ServiceLevel,
    Sku,
)
from domain.orders import AllocationRequest, OrderView
from domain.routing import RoutingLine, RoutingRequest, Rules, default_rules
from domain.routing.types import CostBreakdown, Plan, PlannedPackage, RoutingDecision

# The textbook case's order (issue 3): one of each, to Denver.
SKINCARE_SET = ["SKIN-CLEANSER", "SKIN-SERUM", "SKIN-MOISTURIZER"]
DENVER = {
    "postal_code": "80202",
    "country": "US",
    "address1": "1701 Wynkoop Street",
    "city": "Denver",
    "region": "CO",
}
DANA = {"name": "Dana Denver", "email": "dana@example.com"}

# Orders ----------------------------------------------------------------------------


def address(postal_code: str, street: str = "100 Main Street") -> dict[str, str]:
    """A ``ship_to`` a shipped order may go to: ``street`` in ``postal_code``'s city (a ZIP
    not in the table, for a test of its refusal, keeps Denver's)."""
    try:
        city, region = zip_city(postal_code)
    except UnknownPostalCode:
        city, region = DENVER["city"], DENVER["region"]
    return {"postal_code": postal_code, "country": "US", "address1": street, "city": city,
            "region": region}  # fmt: skip


def order_body(
    order_id: str = "A100",
    postal_code: str = "80202",
    *,
    skus: Sequence[str] | Mapping[str, int] = SKINCARE_SET,
    address1: str | None = None,
    ship_to: object = None,
    **changes: object,
) -> dict[str, object]:
    """An order as checkout posts it (JSON): Dana's, to Denver (``postal_code`` and
    ``address1`` swapped in), one unit of each of ``skus`` (or ``{sku: units}``), ground,
    shipped; ``changes`` replace whole fields (``ship_to`` too)."""
    units = list(skus.items()) if isinstance(skus, Mapping) else [(sku, 1) for sku in skus]
    if ship_to is None:
        ship_to = DENVER if postal_code == DENVER["postal_code"] else address(postal_code)
        ship_to = dict(ship_to)
        if address1 is not None:
            ship_to["address1"] = address1
    body: dict[str, object] = {
        "order_id": order_id,
        "customer": dict(DANA),
        "ship_to": ship_to,
        "lines": [
            {"line_id": str(i + 1), "sku": sku, "quantity": quantity}
            for i, (sku, quantity) in enumerate(units)
        ],
        "service_level": "ground",
        "delivery": "ship",
    }
    body.update(changes)
    return body


def order_request(
    order_id: str = "A100",
    *,
    skus: Sequence[str] = ("SKIN-CLEANSER", "SKIN-SERUM"),
    **overrides: object,
) -> OrderRequest:
    """An order as the API accepts it: ``order_body`` to Denver, validated strictly
    from JSON as at the edge (``overrides`` replace fields; models are made JSON first)."""
    body = {**order_body(order_id, skus=skus, ship_to=DENVER), **overrides}
    return OrderRequest.model_validate(to_jsonable_python(body))


def allocation_request(
    order_id: str, postal_code: str, key: str = "A1", sku: str = "LANTERN"
) -> AllocationRequest:
    """What the order workflow asks the allocate activity: one ``sku`` to ``postal_code``."""
    point = zip_point(postal_code)
    return AllocationRequest(
        order_id=order_id,
        allocation_key=f"{order_id}:{key}",
        first_fulfillment_number=1,
        lines=[RoutingLine(sku=sku, quantity=1)],
        ship_to=ShipTo(postal_code=postal_code),
        customer_name="Lee",
        dest_lat=point.lat,
        dest_lon=point.lon,
        service_level=ServiceLevel.GROUND,
        delivery=DeliveryType.SHIP,
    )


# Order views: an order as the workflow shows it ------------------------------------


def fulfillment_view(
    fulfillment_id: str,
    location_id: str,
    status: FulfillmentStatus = FulfillmentStatus.DISPATCHED,
    lines: Mapping[str, int] | None = None,
    *,
    delivery: DeliveryType = DeliveryType.SHIP,
    events: Sequence[TimelineEntry] = (),
) -> FulfillmentView:
    """A package of ``lines`` ({sku: units}) at ``location_id``, of the order its id names."""
    return FulfillmentView(
        fulfillment_id=fulfillment_id,
        order_id=order_id_of_fulfillment(fulfillment_id),
        location_id=location_id,
        status=status,
        lines=[RoutingLine(sku=s, quantity=q) for s, q in (lines or {}).items()],
        delivery=delivery,
        events=list(events),
    )


def order_view(
    delivery: DeliveryType = DeliveryType.SHIP,
    ship_to_name: str | None = None,
    *,
    order_id: str = "A1",
    sku: str = "S",
    quantity: int = 1,
    fulfillments: Sequence[FulfillmentView] = (),
) -> OrderView:
    """A fulfilling order of ``quantity`` units of ``sku``, Dana's, to Denver, in the
    packages given (none by default)."""
    return OrderView(
        order_id=order_id,
        status=OrderStatus.FULFILLING,
        customer=Contact(**DANA),
        ship_to=Destination(postal_code="80202", name=ship_to_name),
        lines=[OrderLine(line_id="1", sku=sku, quantity=quantity)],
        service_level=ServiceLevel.GROUND,
        delivery=delivery,
        fulfillments=list(fulfillments),
    )


def _plan(location: str, shipping: str, days: int, label: str = "") -> Plan:
    lines = [
        RoutingLine(sku="SKIN-SERUM", quantity=1),
        RoutingLine(sku="SKIN-CLEANSER", quantity=1),
    ]
    cost = Decimal(shipping) + Decimal("1.50")
    return Plan(
        label=label,
        packages=[
            PlannedPackage(location_id=location, lines=lines, miles=370.0, transit_days=days)
        ],
        breakdown=CostBreakdown(shipping=Decimal(shipping), handling=Decimal("1.50"), total=cost),
        cost=cost,
        transit_days=days,
    )


def shipping_order_view(order_id: str = "A100", at: datetime | None = None) -> OrderView:
    """A Denver order routed to SLC-3PL, its package dispatched there ``at`` (half an hour
    ago), with the alternatives the router weighed."""
    at = at or datetime.now(UTC) - timedelta(minutes=30)
    lines = [
        OrderLine(line_id="1", sku="SKIN-SERUM", quantity=1),
        OrderLine(line_id="2", sku="SKIN-CLEANSER", quantity=1),
    ]
    ship_to = Destination(
        postal_code="80202", name="Dana at work", address1="1701 Wynkoop Street",
        address2="Suite 300", city="Denver", region="CO",
    )  # fmt: skip
    package = FulfillmentView(
        fulfillment_id=f"{order_id}-F1",
        order_id=order_id,
        location_id="SLC-3PL",
        status=FulfillmentStatus.DISPATCHED,
        lines=[RoutingLine(sku=line.sku, quantity=line.quantity) for line in lines],
        ship_to=ship_to,
        events=[
            TimelineEntry(at=at, type="dispatched", fulfillment_id=f"{order_id}-F1",
                          location_id="SLC-3PL"),
        ],
    )  # fmt: skip
    decision = RoutingDecision(
        order_id=order_id,
        status="routed",
        plan=_plan("SLC-3PL", "7.10", 2),
        alternatives=[_plan("NWK-DC", "12.40", 4, "from Newark"), _plan("CHI-STORE", "9.90", 3)],
        rules_version=1,
        explanation="SLC-3PL holds every line and is the closest to Denver",
    )
    return OrderView(
        order_id=order_id,
        status=OrderStatus.FULFILLING,
        customer=Contact(**DANA),
        ship_to=ship_to,
        lines=lines,
        service_level=ServiceLevel.GROUND,
        delivery=DeliveryType.SHIP,
        fulfillments=[package],
        routing=decision,
        routing_history=[decision],
        events=[
            TimelineEntry(at=at - timedelta(seconds=2), type="received", actor="checkout:shop"),
            TimelineEntry(at=at - timedelta(seconds=1), type="allocated",
                          reason="SLC-3PL holds every line"),
            *package.events,
        ],
    )  # fmt: skip


def pickup_order_view(order_id: str = "P200") -> OrderView:
    """A pickup order at CHI-STORE, dispatched ten minutes ago; the customer collects it."""
    at = datetime.now(UTC) - timedelta(minutes=10)
    lines = [OrderLine(line_id="1", sku="SKIN-MOISTURIZER", quantity=2)]
    package = FulfillmentView(
        fulfillment_id=f"{order_id}-F1",
        order_id=order_id,
        location_id="CHI-STORE",
        status=FulfillmentStatus.DISPATCHED,
        lines=[RoutingLine(sku="SKIN-MOISTURIZER", quantity=2)],
        delivery=DeliveryType.PICKUP,
        ship_to=Destination(postal_code="60601"),
        events=[TimelineEntry(at=at, type="dispatched", fulfillment_id=f"{order_id}-F1",
                              location_id="CHI-STORE")],
    )  # fmt: skip
    return OrderView(
        order_id=order_id,
        status=OrderStatus.FULFILLING,
        customer=Contact(name="Pat Pickup", email="pat@example.com"),
        ship_to=Destination(postal_code="60601"),
        lines=lines,
        service_level=ServiceLevel.GROUND,
        delivery=DeliveryType.PICKUP,
        pickup_location_id="CHI-STORE",
        fulfillments=[package],
        events=[TimelineEntry(at=at, type="received", actor="checkout:shop"), *package.events],
    )


# Reservations ----------------------------------------------------------------------


def package_reservation(
    fulfillment_id: str, location_id: str, safety: dict[str, int] | None = None, **lines: int
) -> PackageReservation:
    """One package's units to hold at ``location_id`` (``safety``: stock to keep back)."""
    return PackageReservation(
        fulfillment_id=fulfillment_id,
        location_id=location_id,
        lines=lines,
        safety_stock=safety or {},
    )


def reserve(
    store: InventoryStore, order_id: str, location_id: str, lines: Mapping[str, int]
) -> str:
    """Hold ``lines`` ({sku: units}) at ``location_id`` for the order's first package, as
    its first allocation; the package's fulfillment id."""
    fulfillment_id = f"{order_id}-F1"
    package = PackageReservation(
        fulfillment_id=fulfillment_id, location_id=location_id, lines=dict(lines)
    )
    store.reserve_plan(order_id, f"{order_id}:A1", [package], "{}")
    return fulfillment_id


# Networks and routing --------------------------------------------------------------


def network(locations: Iterable[dict[str, Any]], skus: Mapping[str, float]) -> Network:
    """A network from location dicts (``stock`` included) and ``{sku: weight_lb}``."""
    return Network(
        skus=[Sku(sku=s, weight_lb=w) for s, w in skus.items()],
        locations=[Location.model_validate(loc) for loc in locations],
    )


def small_network(*, widgets: int = 10, gadgets: int = 5) -> Network:
    """Two SKUs at two warehouses: enough to exercise every rule, cheap to build."""
    return Network(
        skus=[Sku(sku="WIDGET", weight_lb=1.0), Sku(sku="GADGET", weight_lb=2.5, name="Gadget")],
        locations=[
            Location(
                id="EAST",
                kind=LocationKind.WAREHOUSE,
                lat=40.7,
                lon=-74.1,
                stock={"WIDGET": widgets, "GADGET": gadgets},
            ),
            Location(
                id="WEST",
                kind=LocationKind.STORE,
                lat=34.0,
                lon=-118.2,
                stock={"WIDGET": widgets},
                pickup=True,
                daily_capacity=40,
            ),
        ],
    )


def stock_snapshot(net: Network) -> dict[str, dict[str, int]]:
    """The snapshot the engine expects (sku -> location -> units) from the locations' stock."""
    snapshot: dict[str, dict[str, int]] = {}
    for loc in net.locations:
        for sku, units in loc.stock.items():
            snapshot.setdefault(sku, {})[loc.id] = units
    return snapshot


def routing_request(
    postal_code: str | None = None,
    lines: Mapping[str, int] | None = None,
    *,
    point: Point | None = None,
    order_id: str = "T-1",
    **changes: Any,
) -> RoutingRequest:
    """A routing request for ``lines`` ({sku: units}) to a ZIP code (80202) or a point."""
    dest = point or zip_point(postal_code or "80202")
    return RoutingRequest(
        order_id=order_id,
        dest_lat=dest.lat,
        dest_lon=dest.lon,
        lines=[RoutingLine(sku=s, quantity=q) for s, q in (lines or {}).items()],
        **changes,
    )


def rules_with(**changes: Any) -> Rules:
    """The built-in rules with some fields replaced (validated again)."""
    data = default_rules().model_dump(mode="json")
    data.update(changes)
    return Rules.model_validate(data)
