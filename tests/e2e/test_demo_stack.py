"""The README's first command: the stack on its embedded defaults, with the demo network
played by the location simulator, serves the API and the Temporal UI, and orders ship."""

from __future__ import annotations

import time

import httpx

from tests.support.builders import SKINCARE_SET, order_body
from tests.support.http import wait_for
from tests.support.stack import start_stack, stop_stack


def test_demo_order_reaches_shipped_on_its_own(tmp_path) -> None:  # type: ignore[no-untyped-def]
    process, stack = start_stack(tmp_path, None)
    try:
        with stack.client() as http:
            docs = http.get("/docs")
            assert docs.status_code == 200 and "swagger" in docs.text.lower()
            spec = http.get("/openapi.json").json()
            assert {"/orders", "/orders/{order_id}", "/inventory/{sku}"} <= set(spec["paths"])
            ui = httpx.get(stack.ui_url, timeout=10, follow_redirects=True)
            assert ui.status_code == 200 and "<html" in ui.text.lower()

            assert http.post("/orders", json=order_body("DEMO-E2E-1")).status_code == 202
            order = wait_for(http, "DEMO-E2E-1", lambda o: o["status"] == "shipped", "shipped", 60)
            [package] = order["fulfillments"]
            assert package["location_id"] == "SLC-3PL"
            assert package["carrier"] == "UPS" and package["tracking_number"].startswith("1Z")
            actors = {
                e["actor"]
                for e in order["events"]
                if e["type"] == "shipped" and e["fulfillment_id"]
            }
            assert actors == {"location:SLC-3PL:simulator"}
            for sku in SKINCARE_SET:
                assert http.get(f"/inventory/{sku}").json()["reserved"] == 0
    finally:
        stop_stack(process, stack)
    assert process.returncode == 0


def test_the_readme_demo_places_orders_with_the_tokens_dom_up_wrote(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`make run` is `dom up --demo 3`: the demo calls the API as the admin token from the
    tokens file dom up has just written, and its orders ship."""
    process, stack = start_stack(tmp_path, None, extra_args=["--demo", "2"])
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            table = [line for line in stack.log.read_text().splitlines() if "DEMO-" in line]
            if len(table) == 2:
                break
            time.sleep(0.5)
        assert len(table) == 2, stack.log.read_text()
        assert all("shipped" in row for row in table), table
        # ... and one pickup order waits at the store worked by hand, in its queue at once.
        log = stack.log.read_text()
        assert "waits at BKN-STORE" in log and "/console/locations/BKN-STORE/queue" in log, log
        with stack.client("location:BKN-STORE") as http:
            [entry] = http.get("/locations/BKN-STORE/fulfillments").json()
        assert entry["order_id"].startswith("HAND-") and entry["status"] == "dispatched"
        assert entry["delivery"] == "pickup" and entry["recipient"] == "Nora York"
    finally:
        stop_stack(process, stack)
