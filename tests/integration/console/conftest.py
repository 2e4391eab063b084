"""The console in process (FastAPI's TestClient) over a real SQLite store holding the
textbook network, with a fake gateway that holds a few orders as the workflows would
show them; a signed-in client per role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.order_gateway import OrderSummary, UnknownOrder
from adapters.store import InventoryStore, PackageReservation
from domain.access import Role, TokenGrant
from domain.errors import NotReroutable, UnknownFulfillment
from domain.fulfillment import LocationEvent, TimelineEntry, next_status
from domain.ids import order_id_of_fulfillment
from domain.models import (
    Contact,
    DeliveryType,
    Destination,
    FulfillmentStatus,
    OrderLine,
    OrderStatus,
    ServiceLevel,
)
from domain.network_file import load_network
from domain.orders import (
    CancelRequest,
    EventReceipt,
    FulfillmentView,
    OrderView,
    RerouteRequest,
    RerouteResult,
)
from domain.routing.types import CostBreakdown, Plan, PlannedPackage, RoutingDecision, RoutingLine
from services.access import issue_token
from starter.api import create_app
from tests.integration.api.conftest import api_settings
from tests.support.keys import TEST_KEYS

TEXTBOOK = Path(__file__).parents[2] / "e2e" / "network.yaml"
ROLES = ["checkout", "location", "support", "ops", "admin"]


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


def ship_order(order_id: str = "A100", at: datetime | None = None) -> OrderView:
    """A Denver order routed to SLC-3PL, its package dispatched there."""
    at = at or datetime.now(UTC) - timedelta(minutes=30)
    lines = [
        OrderLine(line_id="1", sku="SKIN-SERUM", quantity=1),
        OrderLine(line_id="2", sku="SKIN-CLEANSER", quantity=1),
    ]
    ship_to = Destination(postal_code="80202", name="Dana at work", city="Denver", region="CO")
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
        customer=Contact(name="Dana Denver", email="dana@example.com"),
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


def pickup_order(order_id: str = "P200") -> OrderView:
    """A pickup order at CHI-STORE; the customer collects it."""
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


class ConsoleOrders:
    """Stands in for ``OrderGateway``: orders as the workflows show them, and what the
    console asked of it (events, reroutes, cancels), with the gateway's refusals."""

    def __init__(self) -> None:
        self.orders: dict[str, OrderView] = {}
        self.asked: list[tuple[str, object]] = []

    def add(self, view: OrderView) -> None:
        self.orders[view.order_id] = view

    def _view(self, order_id: str) -> OrderView:
        if order_id not in self.orders:
            raise UnknownOrder(f"no order {order_id!r}")
        return self.orders[order_id]

    async def get_order(self, order_id: str, *, wait: object = None) -> OrderView:
        return self._view(order_id).model_copy(deep=True)

    async def find_orders(self, **filters: object) -> list[OrderSummary]:
        self.asked.append(("find", filters))
        found = []
        for view in self.orders.values():
            if filters.get("status") and view.status != filters["status"]:
                continue
            if filters.get("customer_email") and view.customer.email != filters["customer_email"]:
                continue
            found.append(
                OrderSummary(
                    order_id=view.order_id,
                    status=view.status.value,
                    placed_at=view.events[0].at,
                    locations=sorted({f.location_id for f in view.fulfillments}),
                    skus=sorted({line.sku for line in view.lines}),
                )
            )
        return found[: int(filters.get("limit") or 50)]  # type: ignore[call-overload]

    async def fulfillment(self, fid: str) -> FulfillmentView:
        try:
            view = self._view(order_id_of_fulfillment(fid))
        except (ValueError, UnknownOrder):
            raise UnknownFulfillment(f"no fulfillment {fid!r}") from None
        for package in view.fulfillments:
            if package.fulfillment_id == fid:
                return package
        raise UnknownFulfillment(f"no fulfillment {fid!r}")

    async def report_event(
        self, location_id: str, fid: str, event: LocationEvent, *, actor: str
    ) -> EventReceipt:
        package = await self.fulfillment(fid)
        if package.location_id != location_id:
            raise UnknownFulfillment(f"fulfillment {fid} does not belong to location {location_id}")
        status = next_status(package.status, event.type, package.delivery)  # InvalidTransition
        self.asked.append(("event", (location_id, fid, event, actor)))
        package.status = status
        if event.carrier:
            package.carrier, package.tracking_number = event.carrier, event.tracking_number
        package.events.append(
            TimelineEntry(at=datetime.now(UTC), type=event.type.value, fulfillment_id=fid,
                          location_id=location_id, actor=actor, reason=event.reason)
        )  # fmt: skip
        return EventReceipt.of(package)

    async def reroute(self, order_id: str, request: RerouteRequest) -> RerouteResult:
        view = self._view(order_id)
        self.asked.append(("reroute", request))
        if view.status.is_final:
            raise NotReroutable(f"order {order_id} is already {view.status.value}")
        taken = [f.fulfillment_id for f in view.fulfillments if f.status.is_open]
        for f in view.fulfillments:
            f.status = FulfillmentStatus.CANCELLED if f.status.is_open else f.status
        new = FulfillmentView(
            fulfillment_id=f"{order_id}-F{len(view.fulfillments) + 1}",
            order_id=order_id,
            location_id=request.location_id or "NWK-DC",
            status=FulfillmentStatus.DISPATCHED,
            lines=view.fulfillments[0].lines,
        )
        view.fulfillments.append(new)
        view.reroutes += 1
        assert view.routing is not None
        return RerouteResult(
            order_id=order_id, cancelled_fulfillment_ids=taken, decision=view.routing,
            fulfillments=[new],
        )  # fmt: skip

    async def cancel(self, order_id: str, request: CancelRequest) -> OrderView:
        view = self._view(order_id)
        self.asked.append(("cancel", request))
        shipped = [f.fulfillment_id for f in view.fulfillments if f.status.value == "shipped"]
        if view.status.is_final or shipped:
            raise NotReroutable(
                f"order {order_id} cannot be cancelled: {', '.join(shipped)} already shipped"
                if shipped
                else f"order {order_id} is already {view.status.value}"
            )
        view.status = OrderStatus.CANCELLED
        view.reason = request.reason
        return view

    async def stock_arrived(self, order_ids: list[str], skus: list[str]) -> int:
        return len(order_ids)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[InventoryStore]:
    store = InventoryStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    assert store.load_network(load_network(TEXTBOOK))
    yield store
    store.close()


@pytest.fixture
def tokens(store: InventoryStore) -> dict[str, str]:
    """A live token per role; the location role's is bound to SLC-3PL, and a CHI-STORE one."""
    found = {}
    for role in ROLES:
        location = "SLC-3PL" if role == "location" else None
        found[role], _ = issue_token(
            store, TokenGrant(f"test-{role}", Role(role), location), created_by="system:test"
        )
    found["location:CHI-STORE"], _ = issue_token(
        store, TokenGrant("test-chicago", Role.LOCATION, "CHI-STORE"), created_by="system:test"
    )
    return found


@pytest.fixture
def gateway(store: InventoryStore) -> ConsoleOrders:
    """Two open orders, their units reserved where their packages are (the work queues)."""
    orders = ConsoleOrders()
    for view in (ship_order(), pickup_order()):
        orders.add(view)
        packages = [
            PackageReservation(
                fulfillment_id=f.fulfillment_id,
                location_id=f.location_id,
                lines={line.sku: line.quantity for line in f.lines},
            )
            for f in view.fulfillments
        ]
        store.reserve_plan(view.order_id, f"{view.order_id}:A1", packages, "{}")
    return orders


@pytest.fixture
def app_client(store: InventoryStore, gateway: ConsoleOrders) -> Iterator[TestClient]:
    """The app, not signed in (no Authorization header either)."""
    app = create_app(api_settings(), gateway=gateway, store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app, follow_redirects=False) as client:
        yield client


CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def sign_in(client: TestClient, token: str) -> TestClient:
    """Sign ``client`` in through the form, as a browser does."""
    page = client.get("/console/login")
    answer = client.post(
        "/console/login",
        data={"token": token, "csrf_token": csrf_of(page.text), "next": "/console"},
    )
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
def signed_in(app_client: TestClient, tokens: dict[str, str]) -> Callable[[str], TestClient]:
    """``signed_in("ops")``: the client, signed in with that role's token."""
    return lambda role: sign_in(app_client, tokens[role])
