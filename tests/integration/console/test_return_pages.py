"""Returns in the console: support authorizes one from the order's page (a refusal said in
words), and the return location sees it in its queue with a "Received" form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from domain.models import FulfillmentStatus, OrderStatus
from domain.returns import ReturnReceipt, ReturnReport, ReturnView
from tests.support.fakes import FakeOrderGateway
from tests.support.http import csrf_of

HTMX = {"HX-Request": "true"}


@dataclass
class FakeReturns:
    """Stands in for the return workflows: records each start and each report."""

    started: list[str] = field(default_factory=list)
    reports: list[ReturnReport] = field(default_factory=list)

    async def start(self, view: ReturnView, subscribed: list[str]) -> bool:
        self.started.append(view.return_id)
        return True

    async def report(
        self, view: ReturnView, location_id: str, report: ReturnReport, *, actor: str
    ) -> ReturnReceipt:
        self.reports.append(report)
        return ReturnReceipt.of(view)

    async def get(self, view: ReturnView) -> ReturnView:
        return view


def _shipped(gateway: FakeOrderGateway) -> None:
    """Order A100 (a serum and a cleanser) left SLC-3PL."""
    view = gateway.orders["A100"]
    view.fulfillments[0].status = FulfillmentStatus.SHIPPED
    view.status = OrderStatus.SHIPPED


def test_support_authorizes_a_return_and_the_location_receives_it(
    signed_in: Callable[[str], TestClient], app_client: TestClient, gateway: FakeOrderGateway
) -> None:
    fake = FakeReturns()
    app_client.app.state.returns = fake  # type: ignore[attr-defined]
    support = signed_in("support")
    page = support.get("/console/orders/A100")
    assert "Authorize return" not in page.text  # nothing has reached the customer yet
    token = csrf_of(page.text)
    refused = support.post(
        "/console/orders/A100/returns",
        data={"line_id": "1", "quantity": "1", "reason": "too big", "csrf_token": token},
        headers=HTMX,
    )
    assert refused.status_code == 409 and "never shipped" in refused.text  # not yet
    _shipped(gateway)
    assert "Authorize return" in support.get("/console/orders/A100").text
    made = support.post(
        "/console/orders/A100/returns",
        data={"line_id": "1", "quantity": "1", "reason": "too big", "csrf_token": token},
        headers=HTMX,
    )
    assert made.status_code == 200, made.text
    assert "Return A100-R1 authorized: back to SLC-3PL" in made.text
    assert fake.started == ["A100-R1"]
    state = support.get("/console/orders/A100/state").text
    assert "A100-R1" in state and "Returns" in state

    dock = signed_in("location")
    queue = dock.get("/console/locations/SLC-3PL/queue")
    assert "A100-R1" in queue.text and ">Received<" in queue.text
    received = dock.post(
        "/console/locations/SLC-3PL/returns/A100-R1/received",
        data={"damaged:1": "1", "event_id": "console-abc", "csrf_token": csrf_of(queue.text)},
        headers=HTMX,
    )
    assert received.status_code == 200, received.text
    (report,) = fake.reports
    assert report.event_id == "console-abc"
    assert [(x.line_id, x.quantity, x.condition.value) for x in report.lines] == [
        ("1", 1, "damaged")
    ]  # the blank "sellable" is the rest of the line: none here


def test_another_location_neither_sees_nor_receives_the_return(
    signed_in: Callable[[str], TestClient], app_client: TestClient, gateway: FakeOrderGateway
) -> None:
    app_client.app.state.returns = FakeReturns()  # type: ignore[attr-defined]
    _shipped(gateway)
    ops = signed_in("ops")
    token = csrf_of(ops.get("/console/orders/A100").text)
    assert (
        ops.post(
            "/console/orders/A100/returns",
            data={"line_id": "2", "quantity": "1", "reason": "leaked", "csrf_token": token},
        ).status_code
        == 200
    )
    chicago = signed_in("location:CHI-STORE")
    queue = chicago.get("/console/locations/CHI-STORE/queue")
    assert "A100-R1" not in queue.text
    answer = chicago.post(
        "/console/locations/CHI-STORE/returns/A100-R1/received",
        data={"csrf_token": csrf_of(queue.text)},
    )
    assert answer.status_code == 404
