"""Stock pages: a SKU across the network on a map and in a table; a location's
settings, stock and ledger, for those who may read them."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from starter.console.usmap import albers_usa
from tests.support.http import csrf_of


def test_a_sku_is_mapped_and_tabled(signed_in: Callable[[str], TestClient]) -> None:
    page = signed_in("support").get("/console/inventory/SKIN-SERUM")
    assert page.status_code == 200
    # SLC-3PL holds 1 serum, reserved by A100: nothing left to promise there.
    assert 'data-location="SLC-3PL" data-available="0"' in page.text
    assert 'data-location="NWK-DC" data-available="50"' in page.text
    assert "/console/static/us-states.svg" in page.text
    radii = {
        m[0]: float(m[1])
        for m in re.findall(r'data-location="([A-Z0-9-]+)".*?r="([0-9.]+)"', page.text, re.S)
    }
    assert radii["NWK-DC"] > radii["CHI-STORE"] > radii["SLC-3PL"]


def test_an_unknown_sku_is_a_404_page(signed_in: Callable[[str], TestClient]) -> None:
    assert signed_in("support").get("/console/inventory/NOPE").status_code == 404


def test_the_map_places_cities_in_their_states() -> None:
    x, y = albers_usa(41.88, -87.63)  # Chicago, inside Illinois' box on the bundled map
    assert 575 < x < 647 and 212 < y < 340


def test_a_location_sees_its_own_stock_and_ledger_only(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("location")
    assert client.get("/console/inventory/SKIN-SERUM").status_code == 403
    page = client.get("/console/locations/SLC-3PL")
    assert page.status_code == 200 and "Salt Lake City 3PL" in page.text
    ledger = client.get("/console/locations/SLC-3PL/ledger/SKIN-SERUM")
    assert ledger.status_code == 200 and "reserve" in ledger.text
    assert client.get("/console/locations/NWK-DC").status_code == 404
    assert client.get("/console/locations/NWK-DC/ledger/SKIN-SERUM").status_code == 404
    assert client.get("/console/locations").headers["location"] == "/console/locations/SLC-3PL"


def test_ops_lists_locations_and_inventory(signed_in: Callable[[str], TestClient]) -> None:
    client = signed_in("ops")
    assert 'href="/console/locations/PHX-STORE"' in client.get("/console/locations").text
    assert 'href="/console/inventory/CANDLE-CEDAR"' in client.get("/console/inventory").text


def test_ops_names_a_sku_and_the_pick_list_reads_it(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("ops")
    page = client.get("/console/inventory/SKIN-SERUM").text
    answer = client.post(
        "/console/inventory/SKIN-SERUM/name",
        data={"name": "Vitamin C serum", "csrf_token": csrf_of(page)},
        headers={"HX-Request": "true"},
    )
    assert answer.headers["hx-redirect"] == "/console/inventory/SKIN-SERUM"
    assert "<h1>Vitamin C serum" in client.get("/console/inventory/SKIN-SERUM").text
    assert "Vitamin C serum" in client.get("/console/locations/SLC-3PL/queue").text


def test_support_may_not_name_a_sku(signed_in: Callable[[str], TestClient]) -> None:
    client = signed_in("support")
    page = client.get("/console/inventory/SKIN-SERUM").text
    assert "Save name" not in page
    answer = client.post(
        "/console/inventory/SKIN-SERUM/name", data={"name": "x", "csrf_token": csrf_of(page)}
    )
    assert answer.status_code == 403
