"""The overview: today's figures, for those who read orders; a store goes to its queue."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient

from domain.models import FulfillmentStatus, OrderStatus
from starter.console.overview import figures
from tests.support.builders import pickup_order_view, shipping_order_view
from tests.support.fakes import FakeOrderGateway


def test_figures_over_todays_orders() -> None:
    shipped, rerouted, pickup = (
        shipping_order_view("A1"),
        shipping_order_view("A2"),
        pickup_order_view("P1"),
    )
    shipped.fulfillments[0].status = FulfillmentStatus.SHIPPED
    rerouted.fulfillments[0].status = FulfillmentStatus.TIMED_OUT
    rerouted.reroutes = 1
    rerouted.routing.plan.packages *= 2  # type: ignore[union-attr]
    pickup.status = OrderStatus.BACKORDERED
    found = figures(["shipped", "fulfilling", "backordered", None], [shipped, rerouted, pickup])
    assert found.orders == 4
    assert found.by_status == [("fulfilling", 1), ("shipped", 1), ("backordered", 1),
                               ("unknown", 1)]  # fmt: skip
    assert found.cost_per_order == Decimal("8.60")  # the two routed orders' plans
    assert (found.packages_per_order, found.split_rate) == (1.5, 0.5)
    assert (found.on_time_rate, found.timeouts, found.reroutes, found.backorders) == (0.5, 1, 1, 1)
    assert found.packages == [("1", 1), ("2", 1), ("3+", 0)]


def test_the_overview_draws_todays_orders(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    page = signed_in("support").get("/console")
    assert page.status_code == 200
    assert 'data-figure="orders">2<' in page.text
    assert "<svg" in page.text and "Orders by status" in page.text
    assert 'hx-trigger="every 5s"' in page.text
    panel = signed_in("support").get("/console/overview/panel", headers={"HX-Request": "true"})
    assert panel.status_code == 200 and "<html" not in panel.text
    placed_after = next(ask for kind, ask in gateway.asked if kind == "find")["placed_after"]  # type: ignore[index]
    assert placed_after.hour == 0 and placed_after.tzinfo is not None


def test_a_location_goes_to_its_queue(signed_in: Callable[[str], TestClient]) -> None:
    answer = signed_in("location").get("/console")
    assert answer.headers["location"] == "/console/locations/SLC-3PL/queue"
