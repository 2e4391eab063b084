"""Shared sample payloads (Shopify's, as it delivers them) and the network files tests load."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from adapters.shopify import shopify_signature

TESTS = Path(__file__).parents[1]
E2E = TESTS / "e2e"
# The textbook network (issue 3): Newark, Salt Lake City, Chicago, and a skincare set.
TEXTBOOK = E2E / "network.yaml"
WORKFLOW_NETWORK = TESTS / "workflows" / "network.yaml"
HISTORIES = TESTS / "histories"

# Shopify's documented ``orders/create`` sample, as delivered (the raw file) and parsed.
SHOPIFY_SAMPLE_FILE = TESTS / "fixtures" / "shopify" / "orders-create.json"
SHOPIFY_SAMPLE: dict[str, Any] = json.loads(SHOPIFY_SAMPLE_FILE.read_text())
SHOPIFY_WEBHOOK = "/webhooks/shopify/orders-create"


def shopify_headers(body: bytes, secret: str, signature: str | None = "sign") -> dict[str, str]:
    """The headers Shopify sends with an ``orders/create`` delivery of ``body``: signed
    with ``secret`` (``signature`` "sign"), unsigned (None), or with the one given."""
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": "orders/create"}
    if signature == "sign":
        signature = shopify_signature(body, secret)
    if signature is not None:
        headers["X-Shopify-Hmac-Sha256"] = signature
    return headers


def shopify_order_of_our_skus(order_id: int = 820982911946154600) -> bytes:
    """The Shopify sample under ``order_id``, its line items made SKUs of the textbook
    network: a delivery Switchyard can place."""
    payload = copy.deepcopy(SHOPIFY_SAMPLE)
    payload["id"] = order_id
    skus = ["SKIN-CLEANSER", "SKIN-SERUM", "SKIN-SERUM"]
    for item, sku in zip(payload["line_items"], skus, strict=True):
        item["sku"] = sku
    return json.dumps(payload).encode()
