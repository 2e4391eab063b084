"""The inventory endpoints: one view of stock, its ledger, and every way stock moves."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from tests.support.builders import reserve
from tests.support.fakes import FakeOrderGateway

# --- reading ----------------------------------------------------------------------------


def test_a_locations_stock_is_listed_by_sku_after_safety_stock(
    api: TestClient, store: InventoryStore
) -> None:
    reserve(store, "o1", "CHI-STORE", {"SKIN-SERUM": 2})

    page = api.get("/inventory", params={"location_id": "CHI-STORE"})

    assert page.status_code == 200, page.text
    body = page.json()
    assert body["total"] == 3 and body["next_cursor"] is None
    serum = {row["sku"]: row for row in body["items"]}["SKIN-SERUM"]
    # A store keeps 1 unit of safety stock by the built-in rules.
    assert serum == {
        "location_id": "CHI-STORE",
        "sku": "SKIN-SERUM",
        "on_hand": 5,
        "reserved": 2,
        "safety_stock": 1,
        "available": 2,
    }


def test_a_locations_stock_pages_by_cursor_or_offset(api: TestClient) -> None:
    first = api.get("/inventory", params={"location_id": "NWK-DC", "limit": 3}).json()
    assert [r["sku"] for r in first["items"]] == [
        "CANDLE-CEDAR",
        "SKIN-CLEANSER",
        "SKIN-MOISTURIZER",
    ]
    assert first["total"] == 4 and first["next_cursor"]

    rest = api.get(
        "/inventory", params={"location_id": "NWK-DC", "limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [r["sku"] for r in rest["items"]] == ["SKIN-SERUM"]
    assert rest["next_cursor"] is None

    by_offset = api.get("/inventory", params={"location_id": "NWK-DC", "offset": 3}).json()
    assert [r["sku"] for r in by_offset["items"]] == ["SKIN-SERUM"]


def test_bad_inventory_queries_name_the_parameter(api: TestClient) -> None:
    missing = api.get("/inventory")
    assert missing.status_code == 422 and "location_id" in missing.json()["message"]
    both = api.get("/inventory", params={"location_id": "NWK-DC", "cursor": "x", "offset": 1})
    assert both.status_code == 422 and "cursor" in both.json()["message"]
    forged = api.get("/inventory", params={"location_id": "NWK-DC", "cursor": "bm90IG1pbmU"})
    assert forged.status_code == 422 and "cursor" in forged.json()["message"]
    unknown = api.get("/inventory", params={"location_id": "ATLANTIS"})
    assert unknown.status_code == 404 and "ATLANTIS" in unknown.json()["message"]


def test_the_ledger_pages_newest_first(api: TestClient) -> None:
    for n in range(3):
        api.post(
            "/inventory/receipts",
            json={"location_id": "PHX-STORE", "sku": "CANDLE-CEDAR", "quantity": n + 1,
                  "reference": f"PO-{n}"},
        )  # fmt: skip

    first = api.get("/inventory/PHX-STORE/CANDLE-CEDAR/ledger", params={"limit": 2}).json()
    assert [e["reference"] for e in first["entries"]] == ["PO-2", "PO-1"]
    assert first["entries"][0]["actor"] == "admin:bootstrap-admin"
    assert first["entries"][0]["kind"] == "receipt"
    rest = api.get(
        "/inventory/PHX-STORE/CANDLE-CEDAR/ledger",
        params={"limit": 2, "cursor": first["next_cursor"]},
    ).json()
    assert [e["reference"] for e in rest["entries"]] == ["PO-0", "network load"]
    assert rest["next_cursor"] is None


def test_the_ledger_of_an_unknown_location_or_sku_is_404(api: TestClient) -> None:
    assert api.get("/inventory/ATLANTIS/SKIN-SERUM/ledger").status_code == 404
    response = api.get("/inventory/NWK-DC/UNOBTAINIUM/ledger")
    assert response.status_code == 404
    assert "UNOBTAINIUM" in response.json()["message"]


# --- movements --------------------------------------------------------------------------


def test_a_receipt_adds_units_and_records_the_caller(
    api: TestClient, store: InventoryStore
) -> None:
    response = api.post(
        "/inventory/receipts",
        json={"location_id": "SLC-3PL", "sku": "SKIN-SERUM", "quantity": 24, "reference": "PO-7"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["balance"]["on_hand"] == 25
    [row, *_] = store.ledger("SLC-3PL", "SKIN-SERUM")
    assert (row.kind, row.on_hand_delta, row.reference, row.actor) == (
        "receipt",
        24,
        "PO-7",
        "admin:bootstrap-admin",
    )


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        ({"location_id": "SLC-3PL", "sku": "SKIN-SERUM", "quantity": 0}, 422, "quantity"),
        ({"location_id": "SLC-3PL", "sku": "SKIN-SERUM"}, 422, "quantity"),
        ({"location_id": "SLC-3PL", "sku": "SKIN-SERUM", "quantity": "lots"}, 422, "quantity"),
        ({"location_id": "ATLANTIS", "sku": "SKIN-SERUM", "quantity": 1}, 404, "ATLANTIS"),
        ({"location_id": "SLC-3PL", "sku": "UNOBTAINIUM", "quantity": 1}, 404, "UNOBTAINIUM"),
    ],
)
def test_bad_receipts_are_refused_naming_what_is_wrong(
    api: TestClient, store: InventoryStore, body: dict, status: int, names: str
) -> None:
    response = api.post("/inventory/receipts", json=body)

    assert response.status_code == status, response.text
    assert names in response.json()["message"]
    assert store.balance("SLC-3PL", "SKIN-SERUM").on_hand == 1


def test_an_adjustment_may_not_take_on_hand_below_reserved(
    api: TestClient, store: InventoryStore
) -> None:
    reserve(store, "o1", "NWK-DC", {"SKIN-SERUM": 45})
    url = "/inventory/adjustments"
    body = {"location_id": "NWK-DC", "sku": "SKIN-SERUM", "reason": "water damage"}

    assert api.post(url, json={**body, "delta": -5}).json()["balance"]["on_hand"] == 45
    refused = api.post(url, json={**body, "delta": -1})
    assert refused.status_code == 409
    assert refused.json()["error"] == "WouldUnderflow"
    assert "45 reserved" in refused.json()["message"]
    zero = api.post(url, json={**body, "delta": 0})
    assert zero.status_code == 422 and zero.json()["message"].startswith("delta:")
    no_reason = api.post(url, json={"location_id": "NWK-DC", "sku": "SKIN-SERUM", "delta": 1})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["message"]
    assert store.balance("NWK-DC", "SKIN-SERUM").on_hand == 45
    assert store.check_ledger() == []


def test_a_cycle_count_sets_on_hand(api: TestClient, store: InventoryStore) -> None:
    reserve(store, "o1", "CHI-STORE", {"SKIN-SERUM": 3})

    counted = api.put("/inventory/CHI-STORE/SKIN-SERUM", json={"on_hand": 4, "reason": "cycle"})
    assert counted.status_code == 200, counted.text
    assert counted.json()["balance"]["on_hand"] == 4
    assert api.put("/inventory/CHI-STORE/SKIN-SERUM", json={"on_hand": 2}).status_code == 409
    negative = api.put("/inventory/CHI-STORE/SKIN-SERUM", json={"on_hand": -1})
    assert negative.status_code == 422 and "on_hand" in negative.json()["message"]
    assert api.put("/inventory/CHI-STORE/NOPE", json={"on_hand": 1}).status_code == 404
    assert api.put("/inventory/NOWHERE/SKIN-SERUM", json={"on_hand": 1}).status_code == 404
    [row, *_] = store.ledger("CHI-STORE", "SKIN-SERUM")
    assert (row.kind, row.on_hand_delta, row.reason, row.actor) == (
        "count",
        -1,
        "cycle",
        "admin:bootstrap-admin",
    )


# --- the bulk sync ----------------------------------------------------------------------


def test_a_json_sync_applies_every_count_and_reports_what_changed(
    api: TestClient, store: InventoryStore
) -> None:
    response = api.post(
        "/inventory/PHX-STORE/sync",
        json={
            "counts": [
                {"sku": "SKIN-CLEANSER", "on_hand": 5},
                {"sku": "SKIN-SERUM", "on_hand": 2},
                {"sku": "SKIN-MOISTURIZER", "on_hand": 6},
            ],
            "reason": "nightly WMS sync",
            "reference": "batch-42",
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counted"] == 3 and body["unchanged"] == 1
    assert body["changed"] == [
        {"sku": "SKIN-MOISTURIZER", "before": 0, "after": 6, "delta": 6},
        {"sku": "SKIN-SERUM", "before": 5, "after": 2, "delta": -3},
    ]
    [row, *_] = store.ledger("PHX-STORE", "SKIN-MOISTURIZER")
    assert (row.reason, row.reference, row.actor) == (
        "nightly WMS sync",
        "batch-42",
        "admin:bootstrap-admin",
    )
    assert store.check_ledger() == []


def test_a_sync_is_all_or_nothing(api: TestClient, store: InventoryStore) -> None:
    reserve(store, "o1", "PHX-STORE", {"SKIN-SERUM": 4})

    response = api.post(
        "/inventory/PHX-STORE/sync",
        json={
            "counts": [{"sku": "SKIN-CLEANSER", "on_hand": 50}, {"sku": "SKIN-SERUM", "on_hand": 1}]
        },
    )

    assert response.status_code == 409
    assert "SKIN-SERUM" in response.json()["message"]
    assert store.balance("PHX-STORE", "SKIN-CLEANSER").on_hand == 5


def test_a_csv_sync_reads_sku_and_on_hand_columns(api: TestClient, store: InventoryStore) -> None:
    csv = "sku,on_hand,bin\r\nSKIN-SERUM,9,A-12\r\n\r\nCANDLE-CEDAR,3,B-01\r\n"
    response = api.post(
        "/inventory/PHX-STORE/sync",
        content=csv.encode(),
        headers={"content-type": "text/csv"},
        params={"reason": "store POS export", "reference": "pos-7"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["changed"] == [
        {"sku": "SKIN-SERUM", "before": 5, "after": 9, "delta": 4}
    ]
    assert response.json()["unchanged"] == 1
    [row, *_] = store.ledger("PHX-STORE", "SKIN-SERUM")
    assert (row.reason, row.reference) == ("store POS export", "pos-7")


@pytest.mark.parametrize(
    ("content", "content_type", "status", "names"),
    [
        ('{"counts": []}', "application/json", 422, "counts"),
        ('{"counts": [{"sku": "SKIN-SERUM", "on_hand": -2}]}', "application/json", 422,
         "counts[0].on_hand"),
        ('{"counts": [{"sku": "SKIN-SERUM", "on_hand": 1}, {"sku": "SKIN-SERUM", "on_hand": 2}]}',
         "application/json", 422, "counted twice"),
        ('{"counts": [{"sku": "UNOBTAINIUM", "on_hand": 1}]}', "application/json", 404,
         "counts[0].sku"),
        ("{not json", "application/json", 422, "JSON"),
        ("sku,on_hand\nSKIN-SERUM,1\nSKIN-CLEANSER,many\n", "text/csv", 422,
         "counts[1].on_hand"),
        ("sku,on_hand\nSKIN-SERUM,1\nSKIN-CLEANSER,many\n", "text/csv", 422, "CSV line 3"),
        ("sku,count\nSKIN-SERUM,1\n", "text/csv", 422, "on_hand"),
        ("<counts/>", "application/xml", 415, "text/csv"),
    ],
)  # fmt: skip
def test_bad_syncs_change_nothing_and_say_why(
    api: TestClient,
    store: InventoryStore,
    content: str,
    content_type: str,
    status: int,
    names: str,
) -> None:
    response = api.post(
        "/inventory/PHX-STORE/sync",
        content=content.encode(),
        headers={"content-type": content_type},
    )

    assert response.status_code == status, response.text
    assert names in response.json()["message"]
    assert store.balance("PHX-STORE", "SKIN-SERUM").on_hand == 5


def test_a_sync_for_an_unknown_location_is_404(api: TestClient) -> None:
    response = api.post(
        "/inventory/ATLANTIS/sync", json={"counts": [{"sku": "SKIN-SERUM", "on_hand": 1}]}
    )
    assert response.status_code == 404


# --- waking backordered orders ----------------------------------------------------------


def test_movements_that_raise_availability_wake_the_orders_waiting(
    api: TestClient, store: InventoryStore, gateway: FakeOrderGateway
) -> None:
    store.record_backorder("B-1", ["SKIN-SERUM"])
    store.record_backorder("B-2", ["CANDLE-CEDAR", "SKIN-SERUM"])
    store.record_backorder("B-3", ["CANDLE-CEDAR"])

    receipt = api.post(
        "/inventory/receipts", json={"location_id": "SLC-3PL", "sku": "SKIN-SERUM", "quantity": 2}
    )
    assert receipt.json()["woken_orders"] == ["B-1", "B-2"]
    assert gateway.woken == [(["B-1", "B-2"], ["SKIN-SERUM"])]

    gateway.woken.clear()
    api.put("/inventory/NWK-DC/CANDLE-CEDAR", json={"on_hand": 60})
    assert gateway.woken == [(["B-2", "B-3"], ["CANDLE-CEDAR"])]

    gateway.woken.clear()
    api.post(
        "/inventory/PHX-STORE/sync",
        json={
            "counts": [{"sku": "SKIN-SERUM", "on_hand": 1}, {"sku": "CANDLE-CEDAR", "on_hand": 9}]
        },
    )
    assert gateway.woken == [(["B-2", "B-3"], ["CANDLE-CEDAR"])]  # serum went down: not woken


def test_movements_that_lower_stock_wake_nobody(
    api: TestClient, store: InventoryStore, gateway: FakeOrderGateway
) -> None:
    store.record_backorder("B-1", ["SKIN-SERUM"])

    answers = [
        api.post(
            "/inventory/adjustments",
            json={"location_id": "NWK-DC", "sku": "SKIN-SERUM", "delta": -1, "reason": "damaged"},
        ),
        api.put("/inventory/NWK-DC/SKIN-SERUM", json={"on_hand": 49}),  # no change
        api.put("/inventory/NWK-DC/SKIN-SERUM", json={"on_hand": 40}),
    ]

    assert gateway.woken == []
    assert [(a.status_code, a.json()["woken_orders"]) for a in answers] == [(200, [])] * 3
    assert [a.json()["balance"]["on_hand"] for a in answers] == [49, 49, 40]


def test_a_failed_wake_up_does_not_fail_the_movement(
    api: TestClient,
    store: InventoryStore,
    gateway: FakeOrderGateway,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store.record_backorder("B-1", ["SKIN-SERUM"])
    gateway.failure = RuntimeError("Temporal is unreachable")

    with caplog.at_level(logging.WARNING, logger="services.backorders"):
        response = api.post(
            "/inventory/adjustments",
            json={"location_id": "NWK-DC", "sku": "SKIN-SERUM", "delta": 3, "reason": "found"},
        )

    assert response.status_code == 200
    assert response.json()["woken_orders"] == []
    assert store.balance("NWK-DC", "SKIN-SERUM").on_hand == 53
    assert "could not wake" in caplog.text


def test_the_openapi_document_describes_both_sync_formats(api: TestClient) -> None:
    document = api.get("/openapi.json")

    assert document.status_code == 200
    paths = document.json()["paths"]
    body = paths["/inventory/{location_id}/sync"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "text/csv"}
    assert "$ref" not in str(body["application/json"]["schema"])
    for path in ("/inventory", "/inventory/receipts", "/inventory/adjustments",
                 "/inventory/{location_id}/{sku}", "/inventory/{location_id}/{sku}/ledger",
                 "/locations", "/locations/{location_id}"):  # fmt: skip
        assert path in paths
