"""The API fuzzed from its own OpenAPI schema (schemathesis), once per role: no request,
valid or not, gets a 5xx, and every answer is one the schema declares, in the shape it
declares. So the schema is as strict as the server: what it allows is accepted, what it
forbids is refused with a 4xx.

In process over a real store (SQLite, the textbook network) and an in-memory gateway
that answers as ``OrderGateway`` does (the routes' contract with Temporal, errors
included); Temporal's own failures are ``test_temporal_errors.py``'s. Seeded and small,
so a run is the same every time and takes well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from adapters.order_gateway import OrderSummary, UnknownOrder
from adapters.store import InventoryStore
from domain.access import Role, TokenGrant
from domain.errors import InvalidTransition, NotReroutable, OrderConflict, UnknownFulfillment
from domain.fulfillment import LocationEvent
from domain.ids import fulfillment_id, order_id_of_fulfillment
from domain.models import FulfillmentStatus, OrderRequest, OrderStatus
from domain.network_file import load_network
from domain.orders import (
    CancelRequest,
    EventReceipt,
    FulfillmentView,
    OrderView,
    RerouteRequest,
    RerouteResult,
)
from domain.routing.types import RoutingDecision, RoutingLine
from services.access import issue_token
from starter.api import create_app
from starter.api.errors import BUSINESS_RULES
from starter.settings import Settings
from tests.support.keys import TEST_KEYS

pytestmark = pytest.mark.slow

TEXTBOOK = Path(__file__).parents[2] / "e2e" / "network.yaml"
ROLES = ["checkout", "location", "support", "ops", "admin", "metrics"]


class InMemoryOrders:
    """Stands in for ``OrderGateway`` with its contract: a placed order is readable, a
    repeat is harmless, another body under the same id conflicts, unknown ids are
    ``UnknownOrder``/``UnknownFulfillment``, and events move a package forward or are
    ``InvalidTransition``."""

    def __init__(self) -> None:
        self.orders: dict[str, tuple[OrderRequest, OrderView]] = {}
        self.client = SimpleNamespace(
            service_client=SimpleNamespace(check_health=self._healthy),
            get_workflow_handle=self._handle,
        )

    async def _healthy(self) -> bool:
        return True

    def _handle(self, workflow_id: str) -> SimpleNamespace:
        async def describe() -> None:
            from temporalio.service import RPCError, RPCStatusCode

            raise RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")

        return SimpleNamespace(describe=describe)

    async def place_order(self, order: OrderRequest, **_: object) -> tuple[OrderStatus, bool]:
        known = self.orders.get(order.order_id)
        if known is not None:
            if known[0] != order:
                raise OrderConflict(
                    f"order {order.order_id} was already placed with a different body"
                )
            return known[1].status, False
        placed = order.placed()
        package = FulfillmentView(
            fulfillment_id=fulfillment_id(order.order_id, 1),
            order_id=order.order_id,
            location_id="NWK-DC",
            status=FulfillmentStatus.DISPATCHED,
            lines=[RoutingLine(sku=s, quantity=q) for s, q in placed.units_by_sku().items()],
            delivery=placed.delivery,
            ship_to=placed.ship_to,
        )
        view = OrderView(
            order_id=placed.order_id,
            status=OrderStatus.FULFILLING,
            customer=placed.customer,
            ship_to=placed.ship_to,
            lines=placed.lines,
            service_level=placed.service_level,
            delivery=placed.delivery,
            pickup_location_id=placed.pickup_location_id,
            fulfillments=[package],
        )
        self.orders[order.order_id] = (order, view)
        return OrderStatus.RECEIVED, True

    async def count_orders_by_status(self) -> dict[OrderStatus, int]:
        counts = dict.fromkeys(OrderStatus, 0)
        for _, view in self.orders.values():
            counts[view.status] += 1
        return counts

    async def find_orders(self, **filters: object) -> list[OrderSummary]:
        limit = int(filters.get("limit") or 50)  # type: ignore[call-overload]
        return [
            OrderSummary(order_id=oid, status=v.status.value, placed_at=datetime.now(UTC))
            for oid, (_, v) in list(self.orders.items())[:limit]
        ]

    def _view(self, order_id: str) -> OrderView:
        if order_id not in self.orders:
            raise UnknownOrder(f"no order {order_id!r}")
        return self.orders[order_id][1]

    async def get_order(self, order_id: str, *, wait: object = None) -> OrderView:
        return self._view(order_id)

    async def reroute(self, order_id: str, request: RerouteRequest) -> RerouteResult:
        view = self._view(order_id)
        if view.status.is_final:
            raise NotReroutable(f"order {order_id} is already {view.status.value}")
        return RerouteResult(
            order_id=order_id,
            cancelled_fulfillment_ids=[],
            decision=RoutingDecision(order_id=order_id, status="unfulfillable", reason="fuzz"),
            fulfillments=view.fulfillments,
        )

    async def cancel(self, order_id: str, request: CancelRequest) -> OrderView:
        view = self._view(order_id)
        if view.status.is_final:
            raise NotReroutable(f"order {order_id} is already {view.status.value}")
        view.status = OrderStatus.CANCELLED
        view.reason = request.reason
        return view

    async def fulfillment(self, fulfillment_id_: str) -> FulfillmentView:
        try:
            view = self._view(order_id_of_fulfillment(fulfillment_id_))
        except (ValueError, UnknownOrder):
            raise UnknownFulfillment(f"no fulfillment {fulfillment_id_!r}") from None
        for package in view.fulfillments:
            if package.fulfillment_id == fulfillment_id_:
                return package
        raise UnknownFulfillment(f"no fulfillment {fulfillment_id_!r}")

    async def report_event(
        self, location_id: str, fulfillment_id_: str, event: LocationEvent, *, actor: str
    ) -> EventReceipt:
        package = await self.fulfillment(fulfillment_id_)
        if package.location_id != location_id:
            raise UnknownFulfillment(
                f"fulfillment {fulfillment_id_} does not belong to location {location_id}"
            )
        if not package.status.is_open:
            raise InvalidTransition(f"the fulfillment is already closed ({package.status.value})")
        return EventReceipt.of(package)

    async def stock_arrived(self, order_ids: list[str], skus: list[str]) -> int:
        return len(order_ids)


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The API over a fresh store holding the textbook network; its lifespan is started
    by schemathesis on the first call, once."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.db'}"
    store = InventoryStore(url)
    store.migrate()
    assert store.load_network(load_network(TEXTBOOK))
    for role in ROLES:  # a real token per role, issued in the store the app reads
        location = "NWK-DC" if role == "location" else None
        token, _ = issue_token(
            store, TokenGrant(f"fuzz-{role}", Role(role), location), created_by="system:test"
        )
        TOKENS[role] = token
    # schemathesis calls the app as http://testserver: allowed here, never by default.
    settings = Settings(allowed_hosts=["testserver"])
    yield create_app(settings, gateway=InMemoryOrders(), store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    store.close()


TOKENS: dict[str, str] = {}


def role_headers(role: str, case: schemathesis.Case) -> dict[str, str]:
    """The headers a caller in ``role`` sends: a live token of that role (the location
    role's bound to NWK-DC), issued by ``fuzzed_app``. None when the case is about a
    bad or missing ``Authorization`` header (the schema requires it): then it is sent as
    generated, and the answer must be a refusal (401)."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if header is not None and header.mode is GenerationMode.NEGATIVE:
        return {}
    return {"Authorization": f"Bearer {TOKENS[role]}"}


# The schema is the app's own; building it reads no store and calls no Temporal.
OPENAPI = create_app(Settings(), keys=TEST_KEYS).openapi()
# Every phase (the schema's examples, its boundaries and negations, random cases), as
# one role; the others get a lighter run of the same checks: what differs between roles
# is who may call what (401/403), not the shapes.
schema = schemathesis.openapi.from_dict(OPENAPI)
each_role = schemathesis.openapi.from_dict(OPENAPI)
each_role.config.phases.update(phases=["examples", "fuzzing"])


def schema_valid_is_accepted(
    ctx: CheckContext, response: Response, case: schemathesis.Case
) -> bool | None:
    """``positive_data_acceptance``, except a 422 for a business rule a schema cannot
    state (an unknown ZIP, a line id used twice: ``BUSINESS_RULES``), and a YAML body
    (the schema says only "a string")."""
    if case.media_type == "application/yaml":
        return None
    if response.status_code == 422:
        kinds = {problem["type"] for problem in response.json().get("detail") or []}
        if kinds and kinds <= BUSINESS_RULES:
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    schema_valid_is_accepted,
    negative_data_rejection,
]


SEEDED = settings(
    max_examples=10, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)


@schema.parametrize()
@SEEDED
def test_no_request_breaks_the_api_or_its_schema(
    case: schemathesis.Case, fuzzed_app: FastAPI
) -> None:
    response = case.call(app=fuzzed_app, headers=role_headers("admin", case))
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
@each_role.parametrize()
@settings(SEEDED, max_examples=3)
def test_no_role_breaks_the_api_or_its_schema(
    case: schemathesis.Case, role: str, fuzzed_app: FastAPI
) -> None:
    response = case.call(app=fuzzed_app, headers=role_headers(role, case))
    case.validate_response(response, checks=CHECKS)
