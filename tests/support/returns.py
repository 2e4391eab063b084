"""A shipped order to return from, for the returns tests of every layer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.fulfillment import TimelineEntry
from domain.models import FulfillmentStatus, OrderLine, OrderStatus
from domain.orders import OrderView
from tests.support.builders import fulfillment_view, order_view


def shipped_order(
    order_id: str = "A1",
    *,
    widgets: int = 2,
    shipped_at: datetime | None = None,
    price: str | None = "24.00",
) -> OrderView:
    """``widgets`` WIDGETs (line "1", ``price`` each) and a GADGET (line "2", 5.50) in
    one package shipped from EAST ``shipped_at`` (a day ago)."""
    at = shipped_at or datetime.now(UTC) - timedelta(days=1)
    package = fulfillment_view(
        f"{order_id}-F1",
        "EAST",
        FulfillmentStatus.SHIPPED,
        {"WIDGET": widgets, "GADGET": 1},
        events=[TimelineEntry(at=at, type="shipped", fulfillment_id=f"{order_id}-F1")],
    )
    view = order_view(order_id=order_id, fulfillments=[package])
    view.status = OrderStatus.SHIPPED
    view.lines = [
        OrderLine(
            line_id="1",
            sku="WIDGET",
            quantity=widgets,
            unit_price=Decimal(price) if price else None,
        ),
        OrderLine(
            line_id="2", sku="GADGET", quantity=1, unit_price=Decimal("5.50") if price else None
        ),
    ]
    return view
