"""``POST /webhooks/shopify/orders-create`` in process, over the textbook network: signed
deliveries only, each order once under its Shopify id, and an order Switchyard cannot
place kept as failed (answered 200, so Shopify does not retry it forever)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from adapters.shopify import shopify_signature
from domain.checkout import OrderRequest
from starter.app import create_app
from starter.bootstrap.log_format import JsonLines
from tests.support.data import (
    SHOPIFY_SAMPLE_FILE,
    SHOPIFY_WEBHOOK,
    shopify_headers,
    shopify_order_of_our_skus,
)
from tests.support.fakes import FakeOrderGateway
from tests.support.keys import TEST_KEYS
from tests.support.stack import api_settings

SECRET = "shpss_test_0123456789abcdef"


@pytest.fixture
def gateway() -> FakeOrderGateway:
    return FakeOrderGateway()


@pytest.fixture
def shop(store, gateway: FakeOrderGateway) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = api_settings(shopify_webhook_secret=f"{SECRET},previous-secret")
    app = create_app(settings, gateway=gateway, store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app) as client:
        yield client


def deliver(client: TestClient, body: bytes, signature: str | None = "sign"):  # type: ignore[no-untyped-def]
    return client.post(
        SHOPIFY_WEBHOOK, content=body, headers=shopify_headers(body, SECRET, signature)
    )


def test_the_documented_sample_is_kept_as_a_failed_order_naming_the_unknown_sku(
    shop: TestClient, gateway: FakeOrderGateway
) -> None:
    answer = deliver(shop, SHOPIFY_SAMPLE_FILE.read_bytes())
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    assert receipt["order_id"] == "820982911946154508"
    assert receipt["outcome"] == "failed" and receipt["created"] is True
    assert "unknown SKU 'SKU2006-001'" in receipt["reason"]
    kept = gateway.placed["820982911946154508"]
    assert kept.refused == receipt["reason"]
    assert kept.placed_by == "shopify:orders-create"
    assert [line.sku for line in kept.order.lines] == ["SKU2006-001", "SKU2006-020", "SKU2006-035"]


def test_an_order_of_known_skus_is_placed_once_however_often_it_is_delivered(
    shop: TestClient, gateway: FakeOrderGateway
) -> None:
    body = shopify_order_of_our_skus()
    receipts = [deliver(shop, body).json() for _ in range(3)]
    assert [r["outcome"] for r in receipts] == ["placed", "already_received", "already_received"]
    [placed] = gateway.placed.values()
    assert isinstance(placed.order, OrderRequest) and placed.refused is None
    assert placed.order.order_id == "820982911946154600"
    assert placed.order.units_by_sku() == {"SKIN-CLEANSER": 1, "SKIN-SERUM": 2}
    assert placed.order.ship_to.postal_code == "40003"


def test_a_redelivery_made_differently_since_still_counts_as_received(
    shop: TestClient, gateway: FakeOrderGateway
) -> None:
    deliver(shop, shopify_order_of_our_skus())
    payload = json.loads(shopify_order_of_our_skus())
    payload["shipping_lines"][0]["title"] = "Express"  # edited in Shopify, then redelivered
    answer = deliver(shop, json.dumps(payload).encode())
    assert (answer.status_code, answer.json()["outcome"]) == (200, "already_received")
    assert len(gateway.placed) == 1


@pytest.mark.parametrize(
    "signature",
    [None, "", "bm90IGEgc2lnbmF0dXJl", shopify_signature(b"another body", SECRET)],
)
def test_a_missing_or_forged_signature_is_refused_and_places_nothing(
    shop: TestClient, gateway: FakeOrderGateway, signature: str | None
) -> None:
    answer = deliver(shop, SHOPIFY_SAMPLE_FILE.read_bytes(), signature)
    assert answer.status_code == 401
    assert answer.json()["error"] == "InvalidSignature"
    assert answer.headers["www-authenticate"] == "X-Shopify-Hmac-Sha256"
    assert gateway.placed == {}


def test_the_previous_secret_still_signs_while_it_is_rotated_out(
    shop: TestClient, gateway: FakeOrderGateway
) -> None:
    body = shopify_order_of_our_skus()
    assert deliver(shop, body, shopify_signature(body, "previous-secret")).status_code == 200
    assert len(gateway.placed) == 1


def test_without_a_secret_every_delivery_is_refused(store, gateway: FakeOrderGateway) -> None:  # type: ignore[no-untyped-def]
    app = create_app(api_settings(), gateway=gateway, store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app) as client:
        answer = deliver(client, SHOPIFY_SAMPLE_FILE.read_bytes())
    assert answer.status_code == 401
    assert "DOM_SHOPIFY_WEBHOOK_SECRET" in answer.json()["message"]


def test_a_signed_body_that_is_no_order_is_a_422(shop: TestClient) -> None:
    answer = deliver(shop, b'{"not": "an order"}')
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "invalid_order"


def test_a_line_logged_while_serving_a_delivery_names_the_order(shop: TestClient) -> None:
    lines: list[str] = []

    class Capture(logging.Handler):  # formats when the line is written, as a stream does
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Capture()
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("starter.api.shopify")
    logger.addHandler(handler)
    try:
        deliver(shop, SHOPIFY_SAMPLE_FILE.read_bytes())
    finally:
        logger.removeHandler(handler)
    [line] = [json.loads(text) for text in lines]
    assert line["order_id"] == "820982911946154508"
    assert "kept as failed" in line["message"]


def test_an_order_of_more_lines_than_an_order_may_have_is_kept_as_failed(
    shop: TestClient, gateway: FakeOrderGateway
) -> None:
    """201 line items: answered 200 and kept as failed naming the limit, never a 500 (a
    5xx makes Shopify redeliver for 48 hours)."""
    order = json.loads(shopify_order_of_our_skus())
    item = order["line_items"][0]
    order["line_items"] = [{**item, "id": 10_000 + n} for n in range(201)]
    answer = deliver(shop, json.dumps(order).encode())
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    assert receipt["outcome"] == "failed" and receipt["created"] is True
    assert "lines" in receipt["reason"] and "200" in receipt["reason"]
    assert gateway.placed[receipt["order_id"]].refused == receipt["reason"]


def test_an_order_id_longer_than_switchyard_keeps_is_kept_as_failed_under_a_derived_id(
    shop: TestClient, gateway: FakeOrderGateway
) -> None:
    order = json.loads(shopify_order_of_our_skus())
    order["id"] = int("9" * 71)
    body = json.dumps(order).encode()
    answer = deliver(shop, body)
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    assert receipt["outcome"] == "failed" and "71 digits" in receipt["reason"]
    kept = receipt["order_id"]
    assert kept.startswith("shopify-") and len(kept) <= 64
    assert gateway.placed[kept].refused == receipt["reason"]
    # A redelivery lands on the same kept order.
    again = deliver(shop, body).json()
    assert again["order_id"] == kept and again["outcome"] == "already_received"
