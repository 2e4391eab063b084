"""Money on an order: decimal strings in, decimals through, a subtotal out; an order
without prices keeps working and says nothing about money."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain.checkout import OrderRequest
from domain.models import OrderLine, OrderStatus
from domain.money import subtotal
from domain.orders import OrderView
from tests.support.builders import order_body

PRICED: dict[str, Any] = order_body("M1", skus={"SKIN-SERUM": 3, "SKIN-CREAM": 1})
for _line, _price in zip(PRICED["lines"], ["0.10", "24.00"], strict=True):  # type: ignore[call-overload]
    _line["unit_price"] = _price


def test_prices_stay_decimal_and_add_up_exactly() -> None:
    order = OrderRequest.model_validate(PRICED)
    assert [line.unit_price for line in order.lines] == [Decimal("0.10"), Decimal("24.00")]
    assert order.currency == "USD"
    placed = order.placed()
    view = OrderView(
        order_id="M1",
        status=OrderStatus.RECEIVED,
        customer=placed.customer,
        ship_to=placed.ship_to,
        lines=placed.lines,
        service_level=placed.service_level,
        delivery=placed.delivery,
    )
    assert view.subtotal == Decimal("24.30")  # 3 x 0.10 is 0.30, not 0.30000000000000004
    dumped = view.model_dump(mode="json")
    assert dumped["subtotal"] == "24.30" and dumped["lines"][0]["unit_price"] == "0.10"
    assert OrderView.model_validate(dumped).subtotal == Decimal("24.30")  # a query's round trip


def test_an_order_without_prices_has_no_subtotal() -> None:
    order = OrderRequest.model_validate(order_body("M2"))
    assert all(line.unit_price is None for line in order.lines)
    assert subtotal(order.lines) is None
    assert subtotal([OrderLine(line_id="1", sku="A", quantity=2, unit_price=Decimal(0))]) == 0


@pytest.mark.parametrize(
    ("price", "kind"),
    [
        (24.0, "decimal_text"),  # a JSON number: may have been a float on its way
        (24, "decimal_text"),
        ("-1.00", "greater_than_equal"),
        ("1.23456", "decimal_max_places"),
        ("NaN", "finite_number"),
        ("Infinity", "finite_number"),
        ("24,00", "decimal_parsing"),
    ],
)
def test_a_price_that_is_not_a_decimal_string_is_refused_naming_the_field(
    price: object, kind: str
) -> None:
    body = copy.deepcopy(PRICED)
    body["lines"][0]["unit_price"] = price
    with pytest.raises(ValidationError) as refused:
        OrderRequest.model_validate(body)
    [problem] = refused.value.errors()
    assert problem["loc"] == ("lines", 0, "unit_price") and problem["type"] == kind


def test_every_line_has_a_price_or_none_does_and_the_currency_is_iso_4217() -> None:
    body = copy.deepcopy(PRICED)
    del body["lines"][1]["unit_price"]
    with pytest.raises(ValidationError, match="every line needs a unit_price"):
        OrderRequest.model_validate(body)
    for code, ok in (("EUR", True), ("JPY", True), ("usd", False), ("XYZ", False)):
        body = {**copy.deepcopy(PRICED), "currency": code}
        if ok:
            assert OrderRequest.model_validate(body).currency == code
        else:
            with pytest.raises(ValidationError) as refused:
                OrderRequest.model_validate(body)
            assert refused.value.errors()[0]["loc"] == ("currency",)
