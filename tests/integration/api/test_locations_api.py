"""Managing locations through the API, and the next order seeing every change at once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from activities.inventory import InventoryActivities
from adapters.store import InventoryStore
from domain.checkout import ShipTo
from domain.geo import zip_point
from domain.models import DeliveryType, ServiceLevel
from domain.orders import AllocationRequest
from domain.routing import RoutingLine

SKINCARE_SET = ["SKIN-CLEANSER", "SKIN-SERUM", "SKIN-MOISTURIZER"]


def denver_trial(order_id: str) -> AllocationRequest:
    """What the order workflow asks the allocate activity for the textbook order, dry."""
    point = zip_point("80202")
    return AllocationRequest(
        order_id=order_id,
        allocation_key=f"{order_id}:A1",
        first_fulfillment_number=1,
        lines=[RoutingLine(sku=sku, quantity=1) for sku in SKINCARE_SET],
        ship_to=ShipTo(postal_code="80202"),
        customer_name="Dana Denver",
        dest_lat=point.lat,
        dest_lon=point.lon,
        service_level=ServiceLevel.GROUND,
        delivery=DeliveryType.SHIP,
        dry_run=True,
    )


def shipped_from(activities: InventoryActivities, order_id: str) -> list[str]:
    decision = activities.allocate(denver_trial(order_id)).decision
    assert decision.plan is not None, decision.reason
    return [p.location_id for p in decision.plan.packages]


def test_locations_are_listed_and_filtered(api: TestClient) -> None:
    every = api.get("/locations")
    assert every.status_code == 200
    assert [loc["id"] for loc in every.json()] == ["NWK-DC", "SLC-3PL", "CHI-STORE", "PHX-STORE"]
    assert "stock" not in every.json()[0]
    pickup = api.get("/locations", params={"pickup": True}).json()
    assert [loc["id"] for loc in pickup] == ["CHI-STORE"]
    stores = api.get("/locations", params={"kind": "store", "active": True}).json()
    assert [loc["id"] for loc in stores] == ["CHI-STORE", "PHX-STORE"]


def test_one_location_and_an_unknown_one(api: TestClient) -> None:
    slc = api.get("/locations/SLC-3PL")
    assert slc.status_code == 200
    assert (slc.json()["name"], slc.json()["kind"], slc.json()["postal_code"]) == (
        "Salt Lake City 3PL",
        "3pl",
        "84104",
    )
    missing = api.get("/locations/ATLANTIS")
    assert missing.status_code == 404 and "ATLANTIS" in missing.json()["message"]


def test_a_new_location_books_its_stock_as_receipts_by_the_caller(
    api: TestClient, store: InventoryStore
) -> None:
    body = {
        "id": "DEN-STORE",
        "name": "Denver store",
        "kind": "store",
        "postal_code": "80202",
        "pickup": True,
        "stock": {"SKIN-SERUM": 4},
        "adapter": {"type": "webhook", "url": "https://den.example.com/hook", "secret": "s3cret"},
    }

    created = api.post("/locations", json=body)

    assert created.status_code == 201, created.text
    assert created.json()["adapter"]["secret"] == "********"
    assert api.get("/locations/DEN-STORE").json()["adapter"]["secret"] == "********"
    [row] = store.ledger("DEN-STORE", "SKIN-SERUM")
    assert (row.kind, row.on_hand_delta, row.actor) == ("receipt", 4, "admin:bootstrap-admin")
    again = api.post("/locations", json=body)
    assert again.status_code == 409 and "DEN-STORE" in again.json()["message"]


def test_a_bad_new_location_names_the_field(api: TestClient) -> None:
    base = {"id": "X-1", "kind": "store", "postal_code": "80202"}

    bad_zip = api.post("/locations", json={**base, "postal_code": "ABCDE"})
    assert bad_zip.status_code == 422 and "postal_code" in bad_zip.json()["message"]
    bad_kind = api.post("/locations", json={**base, "kind": "castle"})
    assert bad_kind.status_code == 422 and bad_kind.json()["message"].startswith("kind:")
    unknown_sku = api.post("/locations", json={**base, "stock": {"UNOBTAINIUM": 1}})
    assert unknown_sku.status_code == 422 and unknown_sku.json()["message"].startswith("stock:")
    assert api.get("/locations/X-1").status_code == 404


def test_a_patch_changes_only_what_it_names(api: TestClient) -> None:
    changed = api.patch(
        "/locations/CHI-STORE",
        json={"daily_capacity": 40, "safety_stock": 2, "handling_cost": 2.25, "priority": 1,
              "sla": {"accept": "15m"}, "name": "Chicago Loop store"},
    )  # fmt: skip

    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["daily_capacity"], body["safety_stock"], body["handling_cost"]) == (40, 2, 2.25)
    assert (body["priority"], body["sla"]["accept"], body["name"]) == (
        1,
        "15m",
        "Chicago Loop store",
    )
    assert (body["pickup"], body["active"], body["postal_code"]) == (True, True, "60601")
    # Safety stock is what the inventory view holds back from now on.
    serum = api.get("/inventory/SKIN-SERUM").json()["locations"]
    assert {r["location_id"]: r["safety_stock"] for r in serum}["CHI-STORE"] == 2

    cleared = api.patch("/locations/CHI-STORE", json={"daily_capacity": None}).json()
    assert cleared["daily_capacity"] is None and cleared["safety_stock"] == 2


def test_bad_patches_name_the_field_and_change_nothing(api: TestClient) -> None:
    unknown_field = api.patch("/locations/CHI-STORE", json={"stock": {"SKIN-SERUM": 1}})
    assert unknown_field.status_code == 422 and "stock" in unknown_field.json()["message"]
    null_active = api.patch("/locations/CHI-STORE", json={"active": None})
    assert null_active.status_code == 422 and null_active.json()["message"].startswith("active:")
    negative = api.patch("/locations/CHI-STORE", json={"daily_capacity": -1})
    assert negative.status_code == 422 and "daily_capacity" in negative.json()["message"]
    bad_sla = api.patch("/locations/CHI-STORE", json={"sla": {"accept": "soon"}})
    assert bad_sla.status_code == 422 and "sla.accept" in bad_sla.json()["message"]
    assert api.patch("/locations/ATLANTIS", json={"active": False}).status_code == 404
    assert api.get("/locations/CHI-STORE").json()["daily_capacity"] is None


def test_a_deactivated_location_gets_no_new_orders_at_once(
    api: TestClient, store: InventoryStore
) -> None:
    """The worker's allocate activity keeps its own NetworkCache, built before the change:
    the network version that update_location bumps makes it re-read the network."""
    worker_side = InventoryActivities(store)
    assert shipped_from(worker_side, "D-1") == ["SLC-3PL"]

    assert api.patch("/locations/SLC-3PL", json={"active": False}).json()["active"] is False

    assert shipped_from(worker_side, "D-2") == ["CHI-STORE"]
    assert "SLC-3PL" not in [
        loc["id"] for loc in api.get("/locations", params={"active": True}).json()
    ]

    api.patch("/locations/SLC-3PL", json={"active": True})
    assert shipped_from(worker_side, "D-3") == ["SLC-3PL"]


def test_a_cutoff_and_time_zone_are_set_and_checked(api: TestClient) -> None:
    changed = api.patch(
        "/locations/PHX-STORE", json={"cutoff": "16:30", "timezone": "America/Phoenix"}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["cutoff"], changed.json()["timezone"]) == ("16:30:00", "America/Phoenix")

    bad_zone = api.patch("/locations/PHX-STORE", json={"timezone": "Mars/Olympus_Mons"})
    assert bad_zone.status_code == 422 and bad_zone.json()["message"].startswith("timezone:")
    bad_time = api.patch("/locations/PHX-STORE", json={"cutoff": "25:00"})
    assert bad_time.status_code == 422 and bad_time.json()["message"].startswith("cutoff:")
    assert api.get("/locations/PHX-STORE").json()["timezone"] == "America/Phoenix"


def test_a_webhook_host_dns_cannot_look_up_is_a_422_naming_the_url(api: TestClient) -> None:
    """An empty or over-long label in the host was a 500 (the lookup's UnicodeError)."""
    body = {
        "id": "BAD-HOST",
        "kind": "store",
        "postal_code": "80202",
        "adapter": {"type": "webhook", "url": "https://a..b.example.com/hook", "secret": "s3cret"},
    }
    created = api.post("/locations", json=body)
    assert created.status_code == 422, created.text
    assert "url" in created.json()["message"] and "a..b.example.com" in created.json()["message"]
    assert api.get("/locations/BAD-HOST").status_code == 404
    subscriber = {
        "url": "https://" + "x" * 64 + ".example.com/hook",
        "secret": "whsec_0123456789abcdef",
        "event_types": ["order.shipped"],
    }
    subscribed = api.post("/subscriptions", json=subscriber)
    assert subscribed.status_code == 422, subscribed.text
    assert subscribed.json()["message"].startswith("url:")
