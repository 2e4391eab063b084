"""One typed fake per port: the order gateway the API and console call, the inventory
activities the workflow calls, and the locations it dispatches to.

Each honours its port's contract (errors included) with plain in-memory state, and
records what it was asked so a test can check it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio import activity
from temporalio.service import RPCError, RPCStatusCode

from activities.messages import CommitRequest, ReleaseRequest
from activities.names import (
    ALLOCATE,
    CANCEL_AT_LOCATION,
    COMMIT_SHIPMENT,
    DISPATCH,
    RECORD_BACKORDER,
    RECORD_SHORTFALL,
    RELEASE_RESERVATIONS,
)
from domain.checkout import OrderRequest
from domain.errors import (
    CancelRefused,
    HoldRefused,
    OrderConflict,
    RerouteRefused,
    UnknownFulfillment,
)
from domain.fulfillment import FulfillmentView, LocationEvent, TimelineEntry, next_status
from domain.holds import HoldRelease, HoldRequest, hold_from
from domain.ids import fulfillment_id, order_id_of_fulfillment
from domain.models import DEFAULT_SLA, FulfillmentStatus, OrderStatus, PlacedOrder
from domain.orders import (
    Allocation,
    AllocationRequest,
    CancelAtLocationRequest,
    CancelRequest,
    EventReceipt,
    FulfillmentRequest,
    HoldResult,
    OrderSummary,
    OrderView,
    RerouteRequest,
    RerouteResult,
)
from domain.routing.types import CostBreakdown, Plan, PlannedPackage, RoutingDecision, RoutingLine
from starter.gateway.orders import UnknownOrder

# The gateway's port ------------------------------------------------------------------


@dataclass
class Placed:
    """An order as it was handed to ``place_order``."""

    order: OrderRequest | PlacedOrder
    placed_by: str
    refused: str | None


class _FakeHandle:
    def __init__(self, gateway: FakeOrderGateway) -> None:
        self._gateway = gateway

    async def describe(self) -> None:
        self._gateway.reachable()
        raise RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")


class _FakeServiceClient:
    def __init__(self, gateway: FakeOrderGateway) -> None:
        self._gateway = gateway

    async def check_health(self, *, timeout: timedelta | None = None) -> bool:  # noqa: ASYNC109 (the SDK's signature)
        self._gateway.reachable()
        return True


class _FakeClient:
    """The few parts of Temporal's ``Client`` the API reaches through the gateway."""

    def __init__(self, gateway: FakeOrderGateway) -> None:
        self._gateway = gateway
        self.service_client = _FakeServiceClient(gateway)

    def get_workflow_handle(self, workflow_id: str) -> _FakeHandle:
        return _FakeHandle(self._gateway)


class FakeOrderGateway:
    """Stands in for ``OrderGateway`` with its contract: a placed order is readable, a
    repeat is harmless, another body under the same id is ``OrderConflict``, unknown ids
    are ``UnknownOrder``/``UnknownFulfillment``, events move a package as ``next_status``
    allows or are ``InvalidTransition``, and a final order refuses a cancel
    (``CancelRefused``) or a reroute (``RerouteRefused``).

    ``route_to``: a placed order is at once fulfilling, in one package dispatched there
    (else it stays received, holding nothing). ``failure``: set it, and every call raises
    it, as when Temporal is down or refuses. Records what it was asked: ``placed``,
    ``woken`` (backordered orders told stock arrived) and ``asked`` (finds, events,
    reroutes and cancels, in order)."""

    def __init__(self, *, route_to: str | None = None) -> None:
        self.route_to = route_to
        self.failure: Exception | None = None
        self.orders: dict[str, OrderView] = {}
        self.placed: dict[str, Placed] = {}
        self.woken: list[tuple[list[str], list[str]]] = []
        self.asked: list[tuple[str, object]] = []
        self.client = _FakeClient(self)

    def reachable(self) -> None:
        """Raise ``failure`` if one is set: every call goes through here first."""
        if self.failure is not None:
            raise self.failure

    async def customer_orders(self, email: str) -> tuple[list[OrderSummary], list[OrderSummary]]:
        """Orders held in clear count as from before keys (this fake seals nothing)."""
        self.reachable()
        mine = [
            OrderSummary(
                order_id=view.order_id,
                status=view.status.value,
                placed_at=view.events[0].at if view.events else datetime.now(UTC),
                locations=sorted({f.location_id for f in view.fulfillments}),
                skus=sorted({line.sku for line in view.lines}),
            )
            for view in self.orders.values()
            if view.customer is not None and view.customer.email == email
        ]
        return [], mine

    def add(self, view: OrderView) -> None:
        """Hold ``view`` as if its workflow were running."""
        self.orders[view.order_id] = view

    async def place_order(
        self,
        order: OrderRequest | PlacedOrder,
        *,
        placed_by: str = "checkout",
        refused: str | None = None,
        read_back: bool = True,
        subscribed: list[str] | None = None,
    ) -> tuple[OrderStatus | None, bool]:
        self.reachable()
        known = self.placed.get(order.order_id)
        if known is not None:
            if known.order != order:
                raise OrderConflict(
                    f"order {order.order_id} was already placed with a different body"
                )
            return self.orders[order.order_id].status, False
        self.placed[order.order_id] = Placed(order, placed_by, refused)
        self.add(self._received(order, placed_by, refused))
        return OrderStatus.RECEIVED, True

    def _received(
        self, order: OrderRequest | PlacedOrder, placed_by: str, refused: str | None
    ) -> OrderView:
        placed = order if isinstance(order, PlacedOrder) else order.placed()
        view = OrderView(
            order_id=placed.order_id,
            status=OrderStatus.FAILED if refused else OrderStatus.RECEIVED,
            customer=placed.customer,
            ship_to=placed.ship_to,
            lines=placed.lines,
            service_level=placed.service_level,
            delivery=placed.delivery,
            pickup_location_id=placed.pickup_location_id,
            reason=refused,
            events=[TimelineEntry(at=datetime.now(UTC), type="received", actor=placed_by)],
        )
        if self.route_to is not None and not refused:
            view.status = OrderStatus.FULFILLING
            view.fulfillments = [
                FulfillmentView(
                    fulfillment_id=fulfillment_id(placed.order_id, 1),
                    order_id=placed.order_id,
                    location_id=self.route_to,
                    status=FulfillmentStatus.DISPATCHED,
                    lines=[
                        RoutingLine(sku=s, quantity=q) for s, q in placed.units_by_sku().items()
                    ],
                    delivery=placed.delivery,
                    ship_to=placed.ship_to,
                )
            ]
        return view

    async def count_orders_by_status(self) -> dict[OrderStatus, int]:
        self.reachable()
        counts = dict.fromkeys(OrderStatus, 0)
        for view in self.orders.values():
            counts[view.status] += 1
        return counts

    async def find_orders(
        self,
        *,
        status: OrderStatus | None = None,
        customer_email: str | None = None,
        location_id: str | None = None,
        sku: str | None = None,
        placed_after: datetime | None = None,
        text: str | None = None,
        limit: int = 50,
    ) -> list[OrderSummary]:
        """Every filter but ``placed_after`` applies: the views' times are made up, and
        a test must not depend on the hour it runs at. ``text``: the order id in any
        case, or part of the customer's name or e-mail."""
        self.reachable()
        filters = {"status": status, "customer_email": customer_email,
                   "location_id": location_id, "sku": sku, "placed_after": placed_after,
                   "limit": limit}  # fmt: skip
        if text is not None:
            filters["text"] = text
        self.asked.append(("find", filters))
        found = []
        for view in self.orders.values():
            locations = sorted({f.location_id for f in view.fulfillments})
            skus = sorted({line.sku for line in view.lines})
            if (
                (status and view.status != status)
                or (
                    customer_email
                    and (view.customer is None or view.customer.email != customer_email)
                )
                or (location_id and location_id not in locations)
                or (sku and sku not in skus)
                or (text and not _text_matches(view, text))
            ):
                continue
            placed_at = view.events[0].at if view.events else datetime.now(UTC)
            found.append(
                OrderSummary(
                    order_id=view.order_id,
                    status=view.status.value,
                    placed_at=placed_at,
                    locations=locations,
                    skus=skus,
                    customer=view.customer,
                    customer_erased=view.customer_erased,
                )
            )
        return found[:limit]

    def _view(self, order_id: str) -> OrderView:
        self.reachable()
        if order_id not in self.orders:
            raise UnknownOrder(f"no order {order_id!r}")
        return self.orders[order_id]

    async def get_order(self, order_id: str, *, wait: timedelta | None = None) -> OrderView:
        return self._view(order_id).model_copy(deep=True)

    async def fulfillment(self, fulfillment_id: str) -> FulfillmentView:
        try:
            view = self._view(order_id_of_fulfillment(fulfillment_id))
        except (ValueError, UnknownOrder):
            raise UnknownFulfillment.named(fulfillment_id) from None
        for package in view.fulfillments:
            if package.fulfillment_id == fulfillment_id:
                return package
        raise UnknownFulfillment.named(fulfillment_id)

    async def report_event(
        self, location_id: str, fulfillment_id: str, event: LocationEvent, *, actor: str
    ) -> EventReceipt:
        fid = fulfillment_id
        package = await self.fulfillment(fid)
        if package.location_id != location_id:
            raise UnknownFulfillment.named(fid)
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
        """Cancel the open packages and dispatch one new package of the order's lines
        (to ``request.location_id``, else NWK-DC)."""
        view = self._view(order_id)
        self.asked.append(("reroute", request))
        if view.status.is_final:
            raise RerouteRefused(f"order {order_id} is already {view.status.value}")
        taken = [f.fulfillment_id for f in view.fulfillments if f.status.is_open]
        for f in view.fulfillments:
            f.status = FulfillmentStatus.CANCELLED if f.status.is_open else f.status
        lines = (
            view.fulfillments[0].lines
            if view.fulfillments
            else [RoutingLine(sku=line.sku, quantity=line.quantity) for line in view.lines]
        )
        new = FulfillmentView(
            fulfillment_id=fulfillment_id(order_id, len(view.fulfillments) + 1),
            order_id=order_id,
            location_id=request.location_id or "NWK-DC",
            status=FulfillmentStatus.DISPATCHED,
            lines=lines,
        )
        view.fulfillments.append(new)
        view.reroutes += 1
        decision = view.routing or RoutingDecision(
            order_id=order_id, status="unfulfillable", reason="this fake plans nothing"
        )
        return RerouteResult(
            order_id=order_id, cancelled_fulfillment_ids=taken, decision=decision,
            fulfillments=[new],
        )  # fmt: skip

    async def cancel(self, order_id: str, request: CancelRequest) -> OrderView:
        view = self._view(order_id)
        self.asked.append(("cancel", request))
        shipped = [f.fulfillment_id for f in view.fulfillments if f.status.value == "shipped"]
        if view.status.is_final or shipped:
            raise CancelRefused(
                f"order {order_id} cannot be cancelled: {', '.join(shipped)} already shipped"
                if shipped
                else f"order {order_id} is already {view.status.value}"
            )
        view.status = OrderStatus.CANCELLED
        view.reason = request.reason
        return view

    async def hold(
        self, order_id: str, request: HoldRequest, *, request_id: str | None = None
    ) -> HoldResult:
        """On hold, as the workflow would (this fake keeps no package back)."""
        view = self._view(order_id)
        self.asked.append(("hold", (request, request_id)))
        if view.status.is_final:
            raise HoldRefused(f"cannot hold: the order is already {view.status.value}")
        if any(h.reason is request.reason for h in view.holds):
            raise HoldRefused(f"the order is already on hold for {request.reason.value}")
        view.holds.append(hold_from(request, actor=request.actor, now=datetime.now(UTC)))
        view.status = OrderStatus.ON_HOLD
        return HoldResult(order_id=order_id, status=view.status, holds=view.holds)

    async def release_hold(
        self, order_id: str, release: HoldRelease, *, request_id: str | None = None
    ) -> HoldResult:
        view = self._view(order_id)
        self.asked.append(("release_hold", (release, request_id)))
        if not any(h.reason is release.reason for h in view.holds):
            raise HoldRefused(f"no {release.reason.value} hold on this order")
        view.holds = [h for h in view.holds if h.reason is not release.reason]
        if not view.holds:
            view.status = OrderStatus.FULFILLING if view.fulfillments else OrderStatus.RECEIVED
        return HoldResult(order_id=order_id, status=view.status, holds=view.holds)

    async def stock_arrived(self, order_ids: list[str], skus: list[str]) -> int:
        self.reachable()
        self.woken.append((list(order_ids), list(skus)))
        return len(order_ids)


def temporal_down() -> FakeOrderGateway:
    """A gateway whose every call (its client's included) fails as a refused connection does."""
    gateway = FakeOrderGateway()
    gateway.failure = RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")
    return gateway


# The workflow's activities -----------------------------------------------------------


class FakeInventory:
    """The inventory activities, registered under their real names: routes every order
    to the locations given, one package each; counts calls."""

    def __init__(self, locations: list[str], *, unfulfillable: bool = False) -> None:
        self.locations = locations
        self.unfulfillable = unfulfillable
        self.calls: Counter[str] = Counter()
        self.committed: list[str] = []
        self.released: list[str | None] = []

    @activity.defn(name=ALLOCATE)
    async def allocate(self, request: AllocationRequest) -> Allocation:
        self.calls["allocate"] += 1
        if self.unfulfillable:
            return Allocation(
                decision=RoutingDecision(
                    order_id=request.order_id,
                    status="unfulfillable",
                    reason="no SKIN-SERUM anywhere",
                )
            )
        per = [request.lines[i :: len(self.locations)] for i in range(len(self.locations))]
        packages = [
            PlannedPackage(location_id=loc, lines=lines)
            for loc, lines in zip(self.locations, per, strict=True)
            if lines
        ]
        plan = Plan(
            packages=packages, breakdown=CostBreakdown(), cost=Decimal("9.99"), transit_days=3
        )
        decision = RoutingDecision(order_id=request.order_id, status="routed", plan=plan)
        return Allocation(
            decision=decision,
            fulfillments=[
                FulfillmentRequest(
                    fulfillment_id=fulfillment_id(
                        request.order_id, request.first_fulfillment_number + i
                    ),
                    order_id=request.order_id,
                    location_id=p.location_id,
                    lines=p.lines,
                    ship_to=request.ship_to,
                    customer_name=request.customer_name,
                    service_level=request.service_level,
                    delivery=request.delivery,
                    sla=DEFAULT_SLA,
                )
                for i, p in enumerate(packages)
            ],
        )

    @activity.defn(name=DISPATCH)
    async def dispatch(self, request: FulfillmentRequest) -> None:
        self.calls["dispatch"] += 1

    @activity.defn(name=CANCEL_AT_LOCATION)
    async def cancel(self, request: object) -> None:
        self.calls["cancel"] += 1

    @activity.defn(name=COMMIT_SHIPMENT)
    async def commit(self, request: CommitRequest) -> int:
        self.calls["commit"] += 1
        self.committed.append(request.fulfillment_id)
        return 1

    @activity.defn(name=RELEASE_RESERVATIONS)
    async def release(self, request: ReleaseRequest) -> int:
        self.calls["release"] += 1
        self.released.append(request.fulfillment_id)
        return 1

    @activity.defn(name=RECORD_SHORTFALL)
    async def shortfall(self, record: object) -> None:
        self.calls["shortfall"] += 1

    @activity.defn(name=RECORD_BACKORDER)
    async def backorder(self, record: object) -> None:
        self.calls["backorder"] += 1

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.allocate,
            self.dispatch,
            self.cancel,
            self.commit,
            self.release,
            self.shortfall,
            self.backorder,
        ]


@dataclass
class FakeLocations:
    """The location activities, registered under their real names: records what the
    workflows asked of locations instead of sending it. A test may hold either call open
    (``hold_dispatch``/``hold_cancel``: the call waits until the event is set), as a slow
    webhook would."""

    dispatched: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    hold_dispatch: asyncio.Event | None = None
    hold_cancel: asyncio.Event | None = None

    @activity.defn(name=DISPATCH)
    async def dispatch(self, request: FulfillmentRequest) -> None:
        self.dispatched.append(request.fulfillment_id)
        if self.hold_dispatch is not None:
            await self.hold_dispatch.wait()

    @activity.defn(name=CANCEL_AT_LOCATION)
    async def cancel(self, cancel: CancelAtLocationRequest) -> None:
        if self.hold_cancel is not None:
            await self.hold_cancel.wait()
        self.cancelled.append(cancel.request.fulfillment_id)


def _text_matches(view: OrderView, text: str) -> bool:
    wanted = text.strip().lower()
    if view.order_id.lower() == wanted:
        return True
    names = [view.customer.name, view.customer.email] if view.customer else []
    return len(wanted) >= 3 and any(wanted in name.lower() for name in names)
