"""What the store keeps of an allocation: the plan, no customer (services.stored_allocations)."""

from __future__ import annotations

from domain.models import Destination, ServiceLevel, Sla
from domain.orders import Allocation, AllocationRequest, FulfillmentRequest
from domain.routing import RoutingLine
from services.stored_allocations import (
    CUSTOMER_FIELDS,
    for_storage,
    restored,
    without_customers,
)
from tests.support.builders import allocation_request, shipping_order_view

# What a package takes from the order rather than from its customer.
ORDER_FIELDS = {"order_id", "lines", "service_level", "delivery"}


def test_every_customer_field_a_package_copies_from_its_request_is_blanked_when_stored() -> None:
    shared = set(FulfillmentRequest.model_fields) & set(AllocationRequest.model_fields)
    assert shared - ORDER_FIELDS == set(CUSTOMER_FIELDS)


def package(**changes: object) -> FulfillmentRequest:
    fields: dict[str, object] = {
        "fulfillment_id": "A1-F1",
        "order_id": "A1",
        "location_id": "EAST",
        "lines": [RoutingLine(sku="WIDGET", quantity=1)],
        "ship_to": Destination(
            postal_code="80202",
            name="Dana",
            address1="1 Main St",
            city="Denver",
            region="CO",
            lat=39.75,
            lon=-104.99,
        ),
        "customer_name": "Dana Denver",
        "service_level": ServiceLevel.GROUND,
        "sla": Sla(),
    }
    return FulfillmentRequest.model_validate({**fields, **changes})


def an_allocation() -> Allocation:
    decision = shipping_order_view().routing
    assert decision is not None
    return Allocation(decision=decision, fulfillments=[package(), package(fulfillment_id="A1-F2")])


def test_for_storage_keeps_the_plan_and_the_zip_only() -> None:
    kept = for_storage(an_allocation())

    for f in kept.fulfillments:
        assert f.customer_name == ""
        assert f.ship_to == Destination(postal_code="80202", country="US")
    assert kept.decision == an_allocation().decision
    assert [f.fulfillment_id for f in kept.fulfillments] == ["A1-F1", "A1-F2"]
    assert [f.lines for f in kept.fulfillments] == [f.lines for f in an_allocation().fulfillments]


def test_restored_puts_the_requests_own_customer_back() -> None:
    request = allocation_request("A1", "80202")

    back = restored(for_storage(an_allocation()), request)

    for f in back.fulfillments:
        assert (f.customer_name, f.ship_to) == ("Lee", request.ship_to)


def test_an_old_answer_is_rewritten_without_its_customer_and_a_clean_one_is_left_alone() -> None:
    old = an_allocation().model_dump_json()

    rewritten = without_customers(old)

    assert "Dana" not in rewritten and "1 Main St" not in rewritten
    assert without_customers(rewritten) == rewritten
    assert without_customers('{"not": "an allocation"}') == '{"not": "an allocation"}'
