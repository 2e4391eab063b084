"""``POST /orders/{id}/returns`` and ``GET /returns/{id}`` in process, over the real store
(SQLite and PostgreSQL): every refusal names what is in the way and keeps nothing, and
the store-backed reads answer; the workflows' side is tests/workflows/test_returns.py and
the whole path over HTTP tests/e2e/test_returns_end_to_end.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from domain.access import Role, TokenGrant
from domain.fulfillment import TimelineEntry
from domain.models import FulfillmentStatus, OrderLine, OrderStatus
from domain.orders import OrderView
from domain.returns import ReturnReceipt, ReturnReport, ReturnView
from services.access import issue_token
from tests.support.builders import fulfillment_view, order_view
from tests.support.fakes import FakeOrderGateway


@dataclass
class FakeReturns:
    """Stands in for the return workflows: records each start, answers with the store's copy."""

    started: list[str] = field(default_factory=list)

    async def start(self, view: ReturnView, subscribed: list[str]) -> bool:
        self.started.append(view.return_id)
        return True

    async def report(
        self, view: ReturnView, location_id: str, report: ReturnReport, *, actor: str
    ) -> ReturnReceipt:
        return ReturnReceipt.of(view)

    async def get(self, view: ReturnView) -> ReturnView:
        return view


@pytest.fixture
def returns(api: TestClient) -> FakeReturns:
    fake = FakeReturns()
    api.app.state.returns = fake  # type: ignore[attr-defined]
    return fake


def shipped(gateway: FakeOrderGateway, order_id: str, *, days_ago: float = 1) -> OrderView:
    """A Denver order of 2 serums (24.00) and a cleanser (12.50), shipped from SLC-3PL."""
    at = datetime.now(UTC) - timedelta(days=days_ago)
    package = fulfillment_view(
        f"{order_id}-F1", "SLC-3PL", FulfillmentStatus.SHIPPED,
        {"SKIN-SERUM": 2, "SKIN-CLEANSER": 1},
        events=[TimelineEntry(at=at, type="shipped", fulfillment_id=f"{order_id}-F1")],
    )  # fmt: skip
    view = order_view(order_id=order_id, fulfillments=[package])
    view.status = OrderStatus.SHIPPED
    view.lines = [
        OrderLine(line_id="1", sku="SKIN-SERUM", quantity=2, unit_price=Decimal("24.00")),
        OrderLine(line_id="2", sku="SKIN-CLEANSER", quantity=1, unit_price=Decimal("12.50")),
    ]
    gateway.add(view)
    return view


def body(*lines: tuple[str, int], **extra: object) -> dict[str, object]:
    return {
        "lines": [{"line_id": i, "quantity": q, "reason": "does not fit"} for i, q in lines],
        **extra,
    }


def test_a_return_is_authorized_to_the_nearest_location_with_its_refund_and_listed_on_the_order(
    api: TestClient, gateway: FakeOrderGateway, returns: FakeReturns
) -> None:
    shipped(gateway, "R1")
    answer = api.post("/orders/R1/returns", json=body(("1", 2), ("2", 1), request_id="rq-1"))
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["return_id"] == "R1-R1" and made["status"] == "authorized"
    assert made["location_id"] == "SLC-3PL"  # the nearest to Denver that takes returns
    assert (made["refund_due"], made["currency"]) == ("60.50", "USD")
    assert [(line["line_id"], line["quantity"]) for line in made["lines"]] == [("1", 2), ("2", 1)]
    again = api.post("/orders/R1/returns", json=body(("1", 2), ("2", 1), request_id="rq-1"))
    assert (again.status_code, again.json()["return_id"]) == (200, "R1-R1")
    assert returns.started == ["R1-R1", "R1-R1"]  # the repeat starts it too (a no-op if up)
    order = api.get("/orders/R1").json()
    assert order["returns"] == [
        {"return_id": "R1-R1", "status": "authorized", "location_id": "SLC-3PL",
         "refund_due": "60.50", "currency": "USD"}
    ]  # fmt: skip
    one = api.get("/returns/R1-R1")
    assert one.status_code == 200 and one.json()["refund_due"] == "60.50"
    named = api.post("/orders/R1/returns", json=body(("1", 1), return_to="NWK-DC"))
    assert named.status_code == 409  # both serums already authorized
    assert api.get("/locations/SLC-3PL/returns").json()[0]["return_id"] == "R1-R1"


def test_refusals_name_what_is_in_the_way_and_keep_nothing(
    api: TestClient, gateway: FakeOrderGateway, store: InventoryStore, returns: FakeReturns
) -> None:
    shipped(gateway, "R2")
    too_many = api.post("/orders/R2/returns", json=body(("1", 3)))
    assert too_many.status_code == 409
    assert "line 1: 3 unit(s) asked, but 2 shipped" in too_many.json()["message"]
    unknown = api.post("/orders/R2/returns", json=body(("9", 1)))
    assert unknown.status_code == 422 and "lines[0].line_id" in unknown.text
    nowhere = api.post("/orders/R2/returns", json=body(("1", 1), return_to="MARS"))
    assert nowhere.status_code == 422 and "return_to" in nowhere.text
    assert api.post("/orders/NOPE/returns", json=body(("1", 1))).status_code == 404
    assert api.post("/orders/R2/returns", json={"lines": []}).status_code == 422
    open_order = order_view(order_id="R3", sku="SKIN-SERUM")
    gateway.add(open_order)
    never = api.post("/orders/R3/returns", json=body(("1", 1)))
    assert never.status_code == 409 and "never shipped" in never.json()["message"]
    assert store.returns_of("R2") == [] and returns.started == []
    assert api.get("/returns/R2-R1").status_code == 404


def test_a_return_past_the_window_is_refused(
    api: TestClient, gateway: FakeOrderGateway, returns: FakeReturns
) -> None:
    shipped(gateway, "R4", days_ago=31)
    late = api.post("/orders/R4/returns", json=body(("2", 1)))
    assert late.status_code == 409 and "past the return window of 30 day" in late.text
    settings = api.app.state.settings  # type: ignore[attr-defined]
    api.app.state.settings = settings.model_copy(update={"return_window_days": 0})  # type: ignore[attr-defined]
    shipped(gateway, "R5", days_ago=0.01)
    assert api.post("/orders/R5/returns", json=body(("2", 1))).status_code == 409


def test_a_location_sees_only_the_returns_coming_to_it(
    api: TestClient, gateway: FakeOrderGateway, store: InventoryStore, returns: FakeReturns
) -> None:
    shipped(gateway, "R6")
    assert api.post("/orders/R6/returns", json=body(("1", 1))).status_code == 201
    slc, _ = issue_token(store, TokenGrant("dock", Role.LOCATION, "SLC-3PL"), created_by="t")
    chi, _ = issue_token(store, TokenGrant("till", Role.LOCATION, "CHI-STORE"), created_by="t")
    report = {"type": "received", "event_id": "r-1",
              "lines": [{"line_id": "1", "quantity": 1, "condition": "sellable"}]}  # fmt: skip
    as_slc = {"Authorization": f"Bearer {slc}"}
    as_chi = {"Authorization": f"Bearer {chi}"}
    assert api.get("/returns/R6-R1", headers=as_slc).status_code == 200
    assert api.get("/returns/R6-R1", headers=as_chi).status_code == 404
    url = "/locations/{}/returns/R6-R1/events"
    assert api.post(url.format("CHI-STORE"), json=report, headers=as_chi).status_code == 404
    assert api.post(url.format("SLC-3PL"), json=report, headers=as_chi).status_code == 404
    assert api.post(url.format("SLC-3PL"), json=report, headers=as_slc).status_code == 202
    assert api.get("/locations/SLC-3PL/returns", headers=as_chi).status_code == 404


def test_a_location_that_stops_taking_returns_is_passed_over(
    api: TestClient, gateway: FakeOrderGateway, returns: FakeReturns
) -> None:
    shipped(gateway, "R7")
    patched = api.patch("/locations/SLC-3PL", json={"returns": False})
    assert patched.status_code == 200 and patched.json()["returns"] is False
    named = api.post("/orders/R7/returns", json=body(("1", 1), return_to="SLC-3PL"))
    assert named.status_code == 409 and "SLC-3PL takes no returns" in named.text
    made = api.post("/orders/R7/returns", json=body(("1", 1)))
    assert made.status_code == 201 and made.json()["location_id"] != "SLC-3PL"
