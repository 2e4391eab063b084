"""Support holds an order from its page (reason and note) and releases it; the page shows
the active holds, and refuses what the API refuses, in the same words."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from domain.models import OrderStatus
from tests.support.fakes import FakeOrderGateway
from tests.support.http import csrf_of

HTMX = {"HX-Request": "true"}


def test_support_holds_and_releases_an_order_from_its_page(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    client = signed_in("support")
    page = client.get("/console/orders/A100").text
    assert "/console/orders/A100/hold" in page and 'value="fraud_review"' in page
    assert "/console/orders/A100/release-hold" not in page  # nothing to release yet
    token = csrf_of(page)
    held = client.post(
        "/console/orders/A100/hold",
        data={"reason": "fraud_review", "note": "card flagged", "csrf_token": token},
        headers=HTMX,
    )
    assert held.status_code == 200, held.text
    assert "On hold" in held.text and held.headers["hx-trigger"] == "console-refresh"
    view = gateway.orders["A100"]
    assert view.status is OrderStatus.ON_HOLD
    assert [(h.reason.value, h.note, h.actor) for h in view.holds] == [
        ("fraud_review", "card flagged", "support:test-support")
    ]

    state = client.get("/console/orders/A100/state").text
    assert 'class="badge badge-on_hold"' in state and "card flagged" in state
    assert "Release the fraud review hold" in state

    released = client.post(
        "/console/orders/A100/release-hold",
        data={"reason": "fraud_review", "csrf_token": token},
        headers=HTMX,
    )
    assert released.status_code == 200 and "Released the fraud review hold" in released.text
    assert gateway.orders["A100"].holds == []


def test_a_hold_refused_or_invalid_says_why_as_the_api_does(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    client = signed_in("ops")
    token = csrf_of(client.get("/console/orders/A100").text)
    data = {"reason": "other", "csrf_token": token}
    assert client.post("/console/orders/A100/hold", data=data, headers=HTMX).status_code == 200
    again = client.post("/console/orders/A100/hold", data=data, headers=HTMX)
    assert again.status_code == 409 and "already on hold for other" in again.text
    bad = client.post(
        "/console/orders/A100/hold",
        data={"reason": "whim", "csrf_token": token},
        headers=HTMX,
    )
    assert bad.status_code == 422 and "reason" in bad.text
    too_long = client.post(
        "/console/orders/A100/hold",
        data={"reason": "address_check", "expires_in_hours": "9999", "csrf_token": token},
        headers=HTMX,
    )
    assert too_long.status_code == 422 and "expires_in_hours" in too_long.text
    none = client.post(
        "/console/orders/A100/release-hold",
        data={"reason": "fraud_review", "csrf_token": token},
        headers=HTMX,
    )
    assert none.status_code == 409 and "no fraud_review hold" in none.text


def test_a_location_may_not_hold(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    client = signed_in("location")
    token = csrf_of(client.get("/console/locations/SLC-3PL/queue").text)
    answer = client.post(
        "/console/orders/A100/hold", data={"reason": "other", "csrf_token": token}, headers=HTMX
    )
    assert answer.status_code == 403
    assert gateway.orders["A100"].holds == []
