"""Driving Switchyard over HTTP as its users do: checkout and support waiting on an
order, a location's staff working through their queue, a person signing in to the console."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient


def wait_for(
    http: httpx.Client,
    order_id: str,
    predicate: Callable[[dict[str, Any]], bool],
    what: str,
    seconds: float = 30,
) -> dict[str, Any]:
    """Read the order until ``predicate`` holds for it; the order then."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = http.get(f"/orders/{order_id}")
        if response.status_code == 200 and predicate(order := response.json()):
            return order
        time.sleep(0.2)
    raise AssertionError(
        f"order {order_id} never became {what}: {http.get(f'/orders/{order_id}').text}"
    )


def play_location(http: httpx.Client, location_id: str, fulfillment_id: str, tracking: str) -> None:
    """The location's staff work through their queue and report each step."""
    queue = http.get(f"/locations/{location_id}/fulfillments", params={"status": "open"})
    assert queue.status_code == 200
    assert fulfillment_id in [f["fulfillment_id"] for f in queue.json()]
    url = f"/locations/{location_id}/fulfillments/{fulfillment_id}/events"
    for step in ("accepted", "picked", "packed"):
        response = http.post(url, json={"type": step, "event_id": f"{fulfillment_id}-{step}"})
        assert response.status_code == 202, response.text
    shipped = {
        "type": "shipped",
        "carrier": "UPS",
        "tracking_number": tracking,
        "event_id": f"{fulfillment_id}-ship",
    }
    assert http.post(url, json=shipped).status_code == 202
    assert http.post(url, json=shipped).status_code == 202  # a repeat is accepted once


def stock_of(http: httpx.Client, sku: str) -> dict[str, dict[str, int]]:
    """``GET /inventory/{sku}``: each location's row, by location id."""
    response = http.get(f"/inventory/{sku}")
    assert response.status_code == 200
    return {row["location_id"]: row for row in response.json()["locations"]}


CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    """The console form's CSRF token."""
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def sign_in(client: TestClient, token: str) -> TestClient:
    """Sign ``client`` in to the console through the form, as a browser does."""
    page = client.get("/console/login")
    answer = client.post(
        "/console/login",
        data={"token": token, "csrf_token": csrf_of(page.text), "next": "/console"},
    )
    assert answer.status_code == 303, answer.text
    return client
