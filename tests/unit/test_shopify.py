"""Shopify's ``orders/create`` payload (its documented sample) as a Switchyard order, and
its signature: base64 HMAC-SHA256 of the raw body under the app's secret."""

from __future__ import annotations

import copy

import pytest

from adapters.shopify import (
    InvalidShopifySignature,
    Refusal,
    ShopifyOrder,
    refused_order,
    service_level,
    shopify_signature,
    to_order_request,
    verify_shopify,
)
from domain.models import ServiceLevel
from tests.support.data import SHOPIFY_SAMPLE, SHOPIFY_SAMPLE_FILE


def shopify(**changes: object) -> ShopifyOrder:
    payload = copy.deepcopy(SHOPIFY_SAMPLE)
    payload.update(changes)
    return ShopifyOrder.model_validate(payload)


def test_the_documented_sample_maps_to_a_checkout_body() -> None:
    order = to_order_request(shopify())
    assert order.order_id == "820982911946154508"  # Shopify's id: GET /orders/{id} finds it
    assert (order.customer.name, order.customer.email) == ("John Smith", "jon@example.com")
    assert order.ship_to.postal_code == "40003"
    assert (order.ship_to.city, order.ship_to.region) == ("Shippington", "KY")
    assert order.ship_to.address1 == "123 Shipping Street"
    assert [(line.line_id, line.sku, line.quantity) for line in order.lines] == [
        ("487817672276298554", "SKU2006-001", 1),
        ("976318377106520349", "SKU2006-020", 1),
        ("315789986012684393", "SKU2006-035", 1),
    ]
    assert order.service_level is ServiceLevel.GROUND  # "Generic Shipping"
    assert order.channel == "shopify"
    # Shopify's prices, as decimals (never floats), and the shop's currency.
    assert [str(line.unit_price) for line in order.lines] == ["89.99", "159.99", "119.99"]
    assert order.currency == "USD"


def test_a_second_address_line_comes_along() -> None:
    address = {**SHOPIFY_SAMPLE["shipping_address"], "address2": "Suite 200"}
    assert to_order_request(shopify(shipping_address=address)).ship_to.address2 == "Suite 200"


@pytest.mark.parametrize("field", ["address1", "city", "province_code"])
def test_an_order_without_a_street_city_or_state_is_refused_naming_it(field: str) -> None:
    address = {**SHOPIFY_SAMPLE["shipping_address"], field: None}
    with pytest.raises(Refusal) as refusal:
        to_order_request(shopify(shipping_address=address))
    named = {"address1": "address1", "city": "city", "province_code": "region"}[field]
    assert f"ship_to.{named}: a shipped order needs" in str(refusal.value)
    kept = refused_order(shopify(shipping_address=address))  # what the refused order keeps
    assert kept.ship_to.postal_code == "40003"


@pytest.mark.parametrize(
    ("title", "code", "level"),
    [
        ("Generic Shipping", None, ServiceLevel.GROUND),
        ("Express", None, ServiceLevel.EXPRESS),
        ("Standard", "UPS_2_DAY", ServiceLevel.GROUND),  # codes are free text: "2 day" only
        ("UPS Next Day Air", "01", ServiceLevel.EXPRESS),
        ("Overnight", None, ServiceLevel.EXPRESS),
    ],
)
def test_the_shipping_line_names_the_service_level(
    title: str, code: str | None, level: ServiceLevel
) -> None:
    assert service_level(shopify(shipping_lines=[{"title": title, "code": code}])) is level


def test_nothing_to_ship_is_left_out_and_a_line_without_sku_is_refused() -> None:
    items = copy.deepcopy(SHOPIFY_SAMPLE["line_items"])
    items[0]["requires_shipping"] = False  # a gift card
    assert len(to_order_request(shopify(line_items=items)).lines) == 2
    items[1]["sku"] = None
    with pytest.raises(Refusal, match="has no SKU"):
        to_order_request(shopify(line_items=items))


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ({"country_code": "CA", "zip": "K2H7A8"}, "ships to CA"),
        ({"country_code": "US", "zip": "00000"}, "postal_code"),
        (None, "no shipping address"),
    ],
)
def test_an_address_switchyard_cannot_route_is_refused_with_the_reason(
    address: dict[str, str] | None, says: str
) -> None:
    with pytest.raises(Refusal, match=says):
        to_order_request(shopify(shipping_address=address))


def test_a_refused_order_keeps_what_fits() -> None:
    items = copy.deepcopy(SHOPIFY_SAMPLE["line_items"])
    items[0]["sku"] = "has spaces, not an id"
    kept = refused_order(shopify(line_items=items, shipping_address={"country_code": "CA"}))
    assert kept.order_id == "820982911946154508"
    assert [line.sku for line in kept.lines] == ["SKU2006-020", "SKU2006-035"]
    assert kept.customer.email == "jon@example.com"


def test_the_signature_is_checked_against_each_secret() -> None:
    body = SHOPIFY_SAMPLE_FILE.read_bytes()
    signature = shopify_signature(body, "old-secret")
    verify_shopify(signature, body, ["new-secret", "old-secret"])  # rotating: either
    with pytest.raises(InvalidShopifySignature, match="does not match"):
        verify_shopify(signature, body + b" ", ["old-secret"])
    with pytest.raises(InvalidShopifySignature, match="does not match"):
        verify_shopify(shopify_signature(body, "forged"), body, ["old-secret"])
    with pytest.raises(InvalidShopifySignature, match="missing"):
        verify_shopify(None, body, ["old-secret"])
    with pytest.raises(InvalidShopifySignature, match="not set up"):
        verify_shopify(signature, body, [])
