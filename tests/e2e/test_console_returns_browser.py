"""Returns in the console, in a real browser (Debian's chromium, Playwright) against the
real stack, under the console's strict CSP: support authorizes a return from the order's
page, the return location marks it received from its queue."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e import test_console_browser as shared
from tests.e2e.test_console_browser import CHROMIUM, Page, expect, shot, sign_in
from tests.support.builders import order_body
from tests.support.http import play_location, stock_of, wait_for
from tests.support.stack import Stack

# The browser and its page (CSP refusals fail the test), as the console's other browser tests.
browser = shared.browser
page = shared.page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]


def test_support_authorizes_a_return_and_the_location_receives_it(page: Page, stack: Stack) -> None:
    lines = [{"line_id": "1", "sku": "SKIN-SERUM", "quantity": 2, "unit_price": "24.00"}]
    with stack.client() as http:
        assert http.post("/orders", json=order_body("WEB-R", lines=lines)).status_code == 202
        order = wait_for(http, "WEB-R", lambda o: o["fulfillments"], "dispatched")
        [package] = order["fulfillments"]
        play_location(http, package["location_id"], package["fulfillment_id"], "1ZWEBR")
        wait_for(http, "WEB-R", lambda o: o["status"] == "shipped", "shipped")

    sign_in(page, stack, "support")
    page.goto(f"{stack.api_url}/console/orders/WEB-R")
    form = page.get_by_role("form", name="Authorize return")
    form.get_by_label("Line").select_option("1")
    form.get_by_label("Quantity").fill("3")
    form.get_by_label("Reason").fill("too strong")
    form.get_by_role("button", name="Authorize return").click()
    expect(page.locator("#answer")).to_contain_text("Refused (409)")
    expect(page.locator("#answer")).to_contain_text("line 1: 3 unit(s) asked, but 2 shipped")
    form.get_by_label("Quantity").fill("2")
    form.get_by_label("Reason").fill("too strong")
    form.get_by_role("button", name="Authorize return").click()
    expect(page.locator("#answer")).to_contain_text("Return WEB-R-R1 authorized")
    expect(page.locator("#answer")).to_contain_text("refund due 48.00 USD")
    returns = page.get_by_role("region", name="Returns")
    expect(returns).to_contain_text("WEB-R-R1")
    shot(page, "return-authorized")
    location = page.locator("section.returns td").nth(1).inner_text().strip()

    with stack.client() as http:
        before = stock_of(http, "SKIN-SERUM")[location]["on_hand"]
    page.context.clear_cookies()
    sign_in(page, stack, f"location:{location}")
    expect(page).to_have_url(re.compile(f"/console/locations/{location}/queue$"))
    card = page.locator("[id='ret-WEB-R-R1']")
    expect(card).to_contain_text("incoming return")
    card.get_by_label("damaged").fill("1")
    shot(page, "return-in-queue")
    card.get_by_role("button", name="Received").click()
    expect(page.locator("#answer")).to_contain_text("WEB-R-R1 received")
    # Off the list once the restock ran (the store's copy says received): the list's next
    # refresh, within its 10 s poll.
    expect(card).to_have_count(0, timeout=25_000)

    with stack.client() as http:
        deadline = time.monotonic() + 30
        while http.get("/returns/WEB-R-R1").json()["status"] != "closed":
            assert time.monotonic() < deadline, http.get("/returns/WEB-R-R1").text
            time.sleep(0.2)
        assert http.get("/returns/WEB-R-R1").json()["refund"] == "48.00"
        assert stock_of(http, "SKIN-SERUM")[location]["on_hand"] == before + 1  # 1 damaged
