"""A location's page moves stock (receipts, adjustments, counts, with the ledger under
them), takes the location offline or stops its pickups, and lists what it finished
today: each through the API's services, each refused as the API refuses it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from domain.models import FulfillmentStatus
from starter.console.locations import start_of_day
from tests.support.fakes import FakeOrderGateway
from tests.support.http import csrf_of

HTMX = {"HX-Request": "true"}


def _post(client: TestClient, page: str, path: str, data: dict[str, str]) -> object:
    token = csrf_of(client.get(page).text)
    return client.post(path, data={**data, "csrf_token": token}, headers=HTMX)


def test_ops_records_a_receipt_an_adjustment_and_a_count(
    signed_in: Callable[[str], TestClient], store: InventoryStore
) -> None:
    client = signed_in("ops")
    page = "/console/locations/NWK-DC"
    text = client.get(page).text
    for form in ("/receipts", "/adjustments", "/counts"):
        assert f'hx-post="/console/locations/NWK-DC{form}"' in text
    answer = _post(client, page, f"{page}/receipts",
                   {"sku": "SKIN-SERUM", "quantity": "5", "reference": "PO-7"})  # fmt: skip
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    assert "Received 5: SKIN-SERUM at NWK-DC now 55 on hand" in answer.text  # type: ignore[attr-defined]
    assert answer.headers["hx-trigger"] == "console-refresh"  # type: ignore[attr-defined]
    answer = _post(client, page, f"{page}/adjustments",
                   {"sku": "SKIN-SERUM", "delta": "-2", "reason": "damaged"})  # fmt: skip
    assert "Adjusted by -2" in answer.text and "53 on hand" in answer.text  # type: ignore[attr-defined]
    answer = _post(client, page, f"{page}/counts", {"sku": "SKIN-SERUM", "on_hand": "40"})
    assert "Counted 40" in answer.text  # type: ignore[attr-defined]
    assert {b.location_id: b.on_hand for b in store.balances("SKIN-SERUM")}["NWK-DC"] == 40
    # The ledger under the stock, as the page reloads it: newest first, who and why.
    recent = client.get(f"{page}/stock", headers=HTMX).text
    assert "<html" not in recent
    rows = recent.split('class="grid ledger-rows recent"')[1]
    assert rows.index("cycle count") < rows.index("damaged") < rows.index("PO-7")
    assert "ops:test-ops" in rows


def test_a_movement_the_api_refuses_is_refused_in_words(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("ops")
    page = "/console/locations/SLC-3PL"
    # SLC-3PL holds 1 serum, reserved by A100: a count below that is a 409.
    answer = _post(client, page, f"{page}/counts", {"sku": "SKIN-SERUM", "on_hand": "0"})
    assert answer.status_code == 409  # type: ignore[attr-defined]
    answer = _post(client, page, f"{page}/adjustments", {"sku": "SKIN-SERUM", "delta": "0",
                                                         "reason": "x"})  # fmt: skip
    assert answer.status_code == 422 and "delta" in answer.text  # type: ignore[attr-defined]
    answer = _post(client, page, f"{page}/adjustments", {"sku": "SKIN-SERUM", "delta": "1"})
    assert answer.status_code == 422 and "reason" in answer.text  # type: ignore[attr-defined]
    answer = _post(client, page, f"{page}/receipts", {"sku": "NOPE", "quantity": "1"})
    assert answer.status_code == 404 and "unknown SKU" in answer.text  # type: ignore[attr-defined]
    answer = _post(client, page, f"{page}/receipts", {"sku": "SKIN-SERUM", "quantity": "lots"})
    assert answer.status_code == 422 and "quantity" in answer.text  # type: ignore[attr-defined]


def test_a_location_receives_and_counts_its_own_stock_only(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("location")  # bound to SLC-3PL
    page = "/console/locations/SLC-3PL"
    text = client.get(page).text
    assert "/receipts" in text and "/counts" in text
    assert "/adjustments" not in text and "Take offline" not in text
    answer = _post(client, page, f"{page}/receipts", {"sku": "SKIN-SERUM", "quantity": "3"})
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    answer = _post(client, page, f"{page}/adjustments",
                   {"sku": "SKIN-SERUM", "delta": "1", "reason": "found"})  # fmt: skip
    assert answer.status_code == 403  # type: ignore[attr-defined]
    other = "/console/locations/NWK-DC"
    answer = _post(client, page, f"{other}/receipts", {"sku": "SKIN-SERUM", "quantity": "3"})
    assert answer.status_code == 404  # type: ignore[attr-defined]


def test_support_sees_the_stock_but_no_form(signed_in: Callable[[str], TestClient]) -> None:
    client = signed_in("support")
    page = "/console/locations/NWK-DC"
    text = client.get(page).text
    assert "Latest movements" in text
    assert "/receipts" not in text and "Take offline" not in text
    answer = _post(client, page, f"{page}/receipts", {"sku": "SKIN-SERUM", "quantity": "3"})
    assert answer.status_code == 403  # type: ignore[attr-defined]
    answer = _post(client, page, f"{page}/settings", {"setting": "active", "value": "false"})
    assert answer.status_code == 403  # type: ignore[attr-defined]


def test_ops_takes_a_location_offline_and_stops_its_pickups(
    signed_in: Callable[[str], TestClient], store: InventoryStore
) -> None:
    client = signed_in("ops")
    page = "/console/locations/CHI-STORE"
    assert "Take offline" in client.get(page).text and "Stop pickups" in client.get(page).text
    answer = _post(client, page, f"{page}/settings", {"setting": "active", "value": "false"})
    assert answer.status_code == 200 and "Taken offline" in answer.text  # type: ignore[attr-defined]
    answer = _post(client, page, f"{page}/settings", {"setting": "pickup", "value": "false"})
    assert "Pickups stopped" in answer.text  # type: ignore[attr-defined]
    chicago = next(loc for loc in store.network().locations if loc.id == "CHI-STORE")
    assert not chicago.active and not chicago.pickup
    card = client.get(f"{page}/settings", headers=HTMX).text
    assert "Bring back online" in card and "Start pickups" in card
    history = store.location_history("CHI-STORE", limit=5)
    assert history[0].actor == "ops:test-ops"
    answer = _post(client, page, f"{page}/settings", {"setting": "name", "value": "x"})
    assert answer.status_code == 422  # type: ignore[attr-defined]
    answer = _post(client, page, f"{page}/settings", {"setting": "active", "value": "maybe"})
    assert answer.status_code == 422 and "active" in answer.text  # type: ignore[attr-defined]


def test_done_today_lists_what_the_location_shipped(
    signed_in: Callable[[str], TestClient], store: InventoryStore, gateway: FakeOrderGateway
) -> None:
    view = gateway.orders["A100"]
    package = view.fulfillments[0]  # at SLC-3PL
    package.status, package.carrier, package.tracking_number = (
        FulfillmentStatus.SHIPPED, "UPS", "1ZDONE",
    )  # fmt: skip
    store.commit_shipment("A100", package.fulfillment_id, actor="system")
    client = signed_in("location")
    text = client.get("/console/locations/SLC-3PL/done").text
    assert f'id="done-{package.fulfillment_id}"' in text
    assert "1ZDONE" in text and "Dana at work" in text and "badge-shipped" in text
    assert client.get("/console/locations/NWK-DC/done").status_code == 404
    assert (
        "Nothing shipped or handed over today"
        in signed_in("ops").get("/console/locations/NWK-DC/done").text
    )


def test_the_day_starts_at_the_locations_midnight() -> None:
    from domain.models import Location

    denver = Location(id="D", name="D", kind="store", postal_code="80202",
                      timezone="America/Denver")  # fmt: skip
    now = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)  # 20:00 on the 7th in Denver
    assert start_of_day(denver, now) == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    nowhere = denver.model_copy(update={"timezone": None})
    assert start_of_day(nowhere, now) == datetime(2026, 12, 8, tzinfo=UTC)


def test_done_today_lists_a_pickup_handed_over_with_who_collected_it(
    signed_in: Callable[[str], TestClient], store: InventoryStore, gateway: FakeOrderGateway
) -> None:
    package = gateway.orders["P200"].fulfillments[0]  # at CHI-STORE
    package.status = FulfillmentStatus.PICKED_UP
    store.commit_shipment("P200", package.fulfillment_id, actor="system")
    text = signed_in("location:CHI-STORE").get("/console/locations/CHI-STORE/done").text
    assert 'id="done-P200-F1"' in text and "badge-picked_up" in text and "Pat Pickup" in text
    assert 'href="/console/orders/P200"' not in text  # a location reads no order pages
    assert (
        'href="/console/orders/P200"'
        in signed_in("support").get("/console/locations/CHI-STORE/done").text
    )
