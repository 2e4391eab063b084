"""Issue 14: Shopify's documented ``orders/create`` sample through `dom up`: one order
however often it is delivered, failed and findable when its SKUs are not ours, routed
when they are; a forged signature places nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from adapters.shopify import shopify_signature
from tests.support.data import (
    E2E,
    SHOPIFY_SAMPLE_FILE,
    SHOPIFY_WEBHOOK,
    shopify_headers,
    shopify_order_of_our_skus,
)
from tests.support.http import wait_for
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

SECRET = "shpss_e2e_0123456789abcdef"
SAMPLE_ID = "820982911946154508"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("shopify")
    process, running = start_stack(
        tmp, E2E / "network.yaml", {"DOM_SHOPIFY_WEBHOOK_SECRET": SECRET}
    )
    yield running
    stop_stack(process, running)


def deliver(stack: Stack, body: bytes, signature: str | None = None) -> httpx.Response:
    """As Shopify sends it: no bearer token, the body signed with the app's secret."""
    headers = shopify_headers(body, SECRET, signature or "sign")
    return httpx.post(
        f"{stack.api_url}{SHOPIFY_WEBHOOK}", content=body, headers=headers, timeout=10
    )


def test_the_sample_makes_one_failed_order_however_often_it_is_delivered(stack: Stack) -> None:
    body = SHOPIFY_SAMPLE_FILE.read_bytes()
    answers = []
    for _ in range(3):  # Shopify retries: the same body, the same signature
        started = time.monotonic()
        answers.append(deliver(stack, body))
        assert time.monotonic() - started < 5  # Shopify gives up after 5 s
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["created"] for a in answers] == [True, False, False]
    with stack.client("support") as http:
        order = wait_for(http, SAMPLE_ID, lambda o: o["status"] == "failed", "failed")
        assert "unknown SKU 'SKU2006-001'" in order["reason"]
        assert order["fulfillments"] == []
        assert order["events"][0]["actor"] == "shopify:orders-create"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # visibility: about a second behind
            found = http.get("/orders", params={"status": "failed"}).json()
            if SAMPLE_ID in [o["order_id"] for o in found]:
                break
            time.sleep(0.3)
        assert SAMPLE_ID in [o["order_id"] for o in found]
        by_email = http.get("/orders", params={"customer_email": "jon@example.com"}).json()
        assert [o["order_id"] for o in by_email].count(SAMPLE_ID) == 1


def test_an_order_of_our_skus_is_routed(stack: Stack) -> None:
    answer = deliver(stack, shopify_order_of_our_skus(820982911946154999))
    assert answer.status_code == 200 and answer.json()["outcome"] == "placed", answer.text
    with stack.client("support") as http:
        order = wait_for(http, "820982911946154999", lambda o: o["fulfillments"], "routed")
    assert order["status"] in ("allocated", "fulfilling")
    assert order["ship_to"]["postal_code"] == "40003"
    assert sum(line["quantity"] for f in order["fulfillments"] for line in f["lines"]) == 3


def test_a_forged_signature_places_nothing(stack: Stack) -> None:
    body = shopify_order_of_our_skus(820982911946155000)
    answer = deliver(stack, body, shopify_signature(body, "not-the-secret"))
    assert answer.status_code == 401
    with stack.client("support") as http:
        assert http.get("/orders/820982911946155000").status_code == 404
