"""Opening an order's sealed customer for whoever must show or send it, and what each
reader gets once the customer is erased (a vault whose key is gone answers None)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.events import EventType, PublishedEvent
from domain.models import Contact, DeliveryType, Destination, OrderStatus, ServiceLevel, Sla
from domain.orders import FulfillmentRequest, OrderView
from domain.personal import Personal, SealedPersonal, impersonal, personal_of
from services.personal import ERASED, opened_event, opened_request, opened_view

NORA = Contact(name="Nora York", email="nora@example.org")
FULL = Destination(
    postal_code="10118", name="Nora York", address1="350 Fifth Avenue", city="New York",
    region="NY", lat=40.748441, lon=-73.985664,
)  # fmt: skip
CLEAR = impersonal(FULL)
SEALED = SealedPersonal(key_id="ck_1", data="c2VhbGVk")


class Vault:
    """Opens ``SEALED`` while the customer is known; None once erased."""

    def __init__(self, erased: bool = False) -> None:
        self.erased = erased

    async def open(self, sealed: SealedPersonal) -> Personal | None:
        assert sealed == SEALED
        return None if self.erased else personal_of(NORA, FULL)

    async def seal(self, email: str, personal: Personal) -> SealedPersonal:
        raise AssertionError("not sealed here")

    async def search_value(self, email: str) -> str | None:
        return None

    async def search_values_matching(self, text: str, limit: int = 200) -> list[str]:
        return []

    async def erase(self, email: str) -> list[str]:
        return []


def _request() -> FulfillmentRequest:
    return FulfillmentRequest(
        fulfillment_id="A1-F1", order_id="A1", location_id="NYC", lines=[], ship_to=CLEAR,
        customer_name="", service_level=ServiceLevel.GROUND, sla=Sla(), personal=SEALED,
    )  # fmt: skip


def _view() -> OrderView:
    return OrderView(
        order_id="A1", status=OrderStatus.SHIPPED, ship_to=CLEAR, lines=[],
        service_level=ServiceLevel.GROUND, delivery=DeliveryType.SHIP, personal=SEALED,
    )  # fmt: skip


async def test_the_location_gets_the_name_and_street_and_after_erasure_neither() -> None:
    opened = await opened_request(Vault(), _request())
    assert (opened.customer_name, opened.ship_to, opened.personal) == ("Nora York", FULL, None)
    erased = await opened_request(Vault(erased=True), _request())
    assert erased.customer_name == ERASED and erased.ship_to == CLEAR and erased.personal is None


async def test_the_view_opens_or_says_customer_erased() -> None:
    opened = await opened_view(Vault(), _view())
    assert (opened.customer, opened.ship_to, opened.customer_erased) == (NORA, FULL, False)
    erased = await opened_view(Vault(erased=True), _view())
    assert erased.customer is None and erased.ship_to == CLEAR and erased.customer_erased


async def test_a_subscriber_gets_the_customer_and_after_erasure_none_of_it() -> None:
    data = _view().model_dump(mode="json", exclude={"personal"})
    event = PublishedEvent(
        id="A1:E1", type=EventType.ORDER_SHIPPED, occurred_at=datetime.now(UTC),
        order_id="A1", data=data, personal=SEALED,
    )  # fmt: skip
    opened = await opened_event(Vault(), event)
    assert opened.data["customer"] == NORA.model_dump()
    assert opened.data["ship_to"]["address1"] == "350 Fifth Avenue" and opened.personal is None
    erased = await opened_event(Vault(erased=True), event)
    text = erased.model_dump_json()
    assert "Nora" not in text and "Fifth" not in text and "nora@" not in text
    assert erased.data["customer_erased"] is True and erased.data["customer"] is None
