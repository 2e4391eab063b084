"""The README's first command: the stack on its embedded defaults, with the demo network
played by the location simulator, serves the API and the Temporal UI, and orders ship."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import start_stack, stop_stack
from tests.e2e.test_textbook_case import SKINCARE_SET, order_body, wait_for


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
