"""No route but the health check answers a caller without a valid token: a route added
without its right (or shadowed by a twin without one) fails here."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

OPEN = {("GET", "/health")}
# Authenticated by a signature instead of a token (their callers cannot send one): without
# it they answer 401 too, challenging for the signature.
SIGNED = {("POST", "/webhooks/shopify/orders-create"): "X-Shopify-Hmac-Sha256"}
SAMPLE = {"order_id": "A1", "location_id": "NWK-DC", "sku": "SKIN-SERUM",
          "fulfillment_id": "A1-F1", "name": "someone", "version": "1",
          "subscription_id": "sub_1", "return_id": "A1-R1"}  # fmt: skip


def routes(api: TestClient) -> list[tuple[str, str]]:
    schema = api.get("/openapi.json").json()
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if (method.upper(), path) not in OPEN
    ]


def test_every_route_but_health_refuses_a_caller_without_a_valid_token(api: TestClient) -> None:
    checked = 0
    for method, path in routes(api):
        url = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], path)
        for auth in ("", "Bearer sy_" + "x" * 43, "Basic YWRtaW46YWRtaW4="):
            answer = api.request(method, url, headers={"Authorization": auth}, json={})
            assert answer.status_code == 401, (method, path, auth, answer.text)
            challenge = SIGNED.get((method, path), "Bearer")
            assert answer.headers["www-authenticate"].startswith(challenge)
            checked += 1
    assert checked >= 3 * 20  # every route was tried


@pytest.mark.parametrize("path", ["/health", "/openapi.json", "/docs"])
def test_health_and_the_documentation_need_no_token(api: TestClient, path: str) -> None:
    assert api.get(path, headers={"Authorization": ""}).status_code in (200, 503)
