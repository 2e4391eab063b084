"""The console in a real browser (Debian's chromium driven by Playwright) against the
real stack: support finds an order and reads why it went where it went, an operator
reroutes it, a store associate works a package from Accept to Shipped and cannot open
another store's queue. Screenshots go to ``$DOM_TEST_ARTIFACTS/console`` (default
``out/console``)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.builders import order_body
from tests.support.http import wait_for
from tests.support.stack import Stack

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("DOM_TEST_ARTIFACTS", "out")) / "console"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; "
        ".ci/run installs it)",
    ),
]

playwright_api = pytest.importorskip("playwright.sync_api")
Page = playwright_api.Page
expect = playwright_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(15_000)
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if refusal(message.text) else None
    )
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    # The console's CSP allows its own script and style files only: nothing on any page
    # may need more (an inline handler, an eval'd htmx filter, an inline style).
    assert not refused, refused


def refusal(text: str) -> bool:
    """A browser's CSP report, or htmx refusing to evaluate a page's expression."""
    return "Content Security Policy" in text or "evalDisallowed" in text


def sign_in(page: Page, stack: Stack, role: str) -> None:
    page.goto(f"{stack.api_url}/console/login")
    shot(page, "sign-in")
    page.get_by_label("Token").fill(stack.token(role))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_support_finds_an_order_by_part_of_a_name_and_reads_why(page: Page, stack: Stack) -> None:
    with stack.client("checkout") as http:
        body = order_body("WEB-1", customer={"name": "Wendy Web", "email": "wendy@example.com"})
        assert http.post("/orders", json=body).status_code == 202
    with stack.client("support") as http:
        wait_for(http, "WEB-1", lambda o: o["fulfillments"], "dispatched")
    sign_in(page, stack, "support")
    page.goto(f"{stack.api_url}/console/orders")
    page.get_by_label("Order, name or e-mail").fill("wendy w")
    page.get_by_role("button", name="Search").click()
    # Visibility is eventually consistent: search again until the order shows.
    for _ in range(20):
        if page.get_by_role("link", name="WEB-1").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator("table.grid")).to_contain_text("Wendy Web")  # whose order it is
    shot(page, "orders")
    page.get_by_role("link", name="WEB-1").click()
    expect(page.get_by_role("heading", name="Why this location")).to_be_visible()
    chosen = page.locator("table.plans tr.chosen")
    expect(chosen).to_contain_text("SLC-3PL")
    expect(chosen).to_contain_text("✔ chosen")
    expect(page.locator("table.timeline")).to_contain_text("checkout:dev-checkout")
    expect(page.get_by_role("button", name="Reroute")).to_have_count(0)  # support may not
    shot(page, "order-page")


def test_an_operator_reroutes_an_order_away_from_its_location(page: Page, stack: Stack) -> None:
    with stack.client("checkout") as http:
        assert http.post("/orders", json=order_body("WEB-2")).status_code == 202
    with stack.client("ops") as http:
        order = wait_for(http, "WEB-2", lambda o: o["fulfillments"], "dispatched")
    first = order["fulfillments"][0]
    sign_in(page, stack, "ops")
    page.goto(f"{stack.api_url}/console/orders/WEB-2")
    page.get_by_role("checkbox", name=first["location_id"]).check()
    page.get_by_label("Reason").first.fill("store lost power")
    page.get_by_role("button", name="Reroute").click()
    expect(page.locator("#answer")).to_contain_text(f"took back {first['fulfillment_id']}")
    # The page's state reloads by itself: the old package cancelled, a new one elsewhere.
    packages = page.locator("table.packages")
    expect(packages).to_contain_text("WEB-2-F2")
    expect(packages.locator("tr", has_text=first["fulfillment_id"])).to_contain_text("cancelled")


def test_a_store_works_a_package_from_accept_to_shipped(page: Page, stack: Stack) -> None:
    with stack.client("checkout") as http:
        assert http.post("/orders", json=order_body("WEB-3")).status_code == 202
    with stack.client("support") as http:
        order = wait_for(http, "WEB-3", lambda o: o["fulfillments"], "dispatched")
    package = order["fulfillments"][0]
    location, fid = package["location_id"], package["fulfillment_id"]
    sign_in(page, stack, f"location:{location}")
    expect(page).to_have_url(re.compile(f"/console/locations/{location}/queue$"))
    card = page.locator(f"[id='pkg-{fid}']")
    expect(card).to_contain_text("Dana Denver")
    # A "short" that finds everything is refused by the workflow: the 409 shows in words.
    card.get_by_text("Short or reject…").click()
    for line in package["lines"]:
        card.get_by_label(re.compile(f"^{line['sku']} ")).fill(str(line["quantity"]))
    card.get_by_role("button", name="Short").click()
    expect(page.locator("#answer")).to_contain_text("Refused (409)")
    expect(page.locator("#answer")).to_contain_text("fewer units than asked for")
    card.get_by_text("Short or reject…").click()  # closed again: the list may reload
    card.get_by_role("button", name="Accept").click()
    expect(page.locator("#answer")).to_contain_text(f"{fid} is now accepted")
    expect(card.locator(".badge")).to_have_text("accepted")
    card.get_by_role("button", name="Picked").click()
    expect(card.locator(".badge")).to_have_text("picked")
    card.get_by_role("button", name="Packed").click()
    expect(card.locator(".badge")).to_have_text("packed")
    shot(page, "work-queue")
    card.get_by_label("Carrier").fill("UPS")
    card.get_by_label("Tracking number").fill("1ZWEB3")
    card.get_by_role("button", name="Shipped").click()
    expect(page.locator("#answer")).to_contain_text(f"{fid} is now shipped")
    expect(card).to_have_count(0)  # shipped: off the list
    with stack.client("support") as http:
        wait_for(http, "WEB-3", lambda o: o["status"] == "shipped", "shipped")
    other = "NWK-DC" if location != "NWK-DC" else "CHI-STORE"
    answer = page.goto(f"{stack.api_url}/console/locations/{other}/queue")
    assert answer is not None and answer.status == 404


def test_support_holds_and_releases_an_order_and_the_page_follows(page: Page, stack: Stack) -> None:
    with stack.client("checkout") as http:
        body = order_body("WEB-H1", hold={"reason": "customer_request", "note": "call first"})
        assert http.post("/orders", json=body).status_code == 202
    with stack.client("support") as http:
        wait_for(http, "WEB-H1", lambda o: o["held"], "held")
    sign_in(page, stack, "support")
    page.goto(f"{stack.api_url}/console/orders/WEB-H1")
    state = page.locator("#order-state")
    expect(state.locator(".status-line .badge")).to_have_text("on hold")
    expect(state.locator("ul.holds")).to_contain_text("call first")
    # A second hold from the page: reason and note.
    page.get_by_label("Hold for").select_option("payment_pending")
    page.get_by_label("Note").fill("waiting for the bank transfer")
    page.get_by_role("button", name="Hold", exact=True).click()
    expect(page.locator("#answer")).to_contain_text("On hold: WEB-H1-F1 waits")
    expect(state.locator("ul.holds li")).to_have_count(2)  # the state followed, no reload
    shot(page, "order-on-hold")
    page.get_by_role("button", name="Release the customer request hold").click()
    expect(page.locator("#answer")).to_contain_text("still on hold for payment pending")
    expect(state.locator("ul.holds li")).to_have_count(1)
    page.get_by_role("button", name="Release the payment pending hold").click()
    expect(page.locator("#answer")).to_contain_text("with the locations now: WEB-H1-F1")
    expect(state.locator(".status-line .badge")).to_have_text("fulfilling")
    expect(page.get_by_role("button", name=re.compile("^Release"))).to_have_count(0)
    # Everything is out now: a hold is refused in words.
    page.get_by_role("button", name="Hold", exact=True).click()
    expect(page.locator("#answer")).to_contain_text("nothing left to hold")
    shot(page, "order-released")


def test_the_inventory_map_shows_each_locations_units(page: Page, stack: Stack) -> None:
    sign_in(page, stack, "support")
    page.goto(f"{stack.api_url}/console/inventory/SKIN-SERUM")
    expect(page.locator("svg.map circle.site")).to_have_count(4)
    with stack.client("support") as http:
        serum = http.get("/inventory/SKIN-SERUM").json()
    for row in serum["locations"]:
        site = page.locator(f"g[data-location='{row['location_id']}']")
        expect(site).to_have_attribute("data-available", str(row["available"]))
    shot(page, "inventory-map")


def test_the_overview_draws_todays_orders(page: Page, stack: Stack) -> None:
    with stack.client("checkout") as http:
        assert http.post("/orders", json=order_body("WEB-4")).status_code == 202
    sign_in(page, stack, "ops")
    expect(page).to_have_url(re.compile("/console$"))
    expect(page.locator("svg.chart.status")).to_be_visible()
    expect(page.locator("[data-figure=orders]")).not_to_have_text("0")
    shot(page, "overview")


def test_the_api_docs_work_offline(page: Page, stack: Stack) -> None:
    """Swagger UI comes from the package: it renders the API with nothing from elsewhere."""
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: elsewhere.append(r.url) if not r.url.startswith(stack.api_url) else None,
    )
    page.goto(f"{stack.api_url}/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("Switchyard")
    expect(page.get_by_role("button", name="Authorize", exact=True)).to_be_visible()
    assert not elsewhere, elsewhere


def test_an_operator_edits_the_rules_and_rolls_them_back(page: Page, stack: Stack) -> None:
    sign_in(page, stack, "ops")
    page.goto(f"{stack.api_url}/console/rules")
    editor = page.get_by_label("Rules (YAML)")
    text = editor.input_value()
    editor.fill(text.replace("max_packages: 3", "max_packages: -1"))
    page.get_by_role("button", name="Validate and install").click()
    expect(page.locator("#answer")).to_contain_text("max_packages")  # the 422, in words
    editor.fill(text.replace("split_penalty: '3.0'", "split_penalty: '3.5'"))
    page.get_by_role("button", name="Dry run").click()  # the module's orders, routed again
    expect(page.locator("#dry-run")).to_contain_text("of the last 3 days")
    expect(page.locator("#dry-run")).to_contain_text("would go elsewhere")
    page.get_by_role("button", name="Validate and install").click()
    expect(page.get_by_role("status")).to_contain_text("Installed version 1")
    expect(page.locator("pre.diff .add")).to_contain_text("split_penalty: '3.5'")
    shot(page, "rules")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Roll back to v0").click()
    expect(page.get_by_role("status")).to_contain_text("Installed version 2")
    with stack.client("support") as http:
        assert http.get("/routing/rules").json()["rules"]["split_penalty"] == "3.0"


# --- the console keeps up, fails well and fits a phone ----------------------------------

# Records, on every change to the order's state, whether it shows a final status while
# an action button is still there: the two must change in one swap.
WATCH_STALE_BUTTONS = """() => {
  window.staleButtons = [];
  const state = document.querySelector('#order-state');
  new MutationObserver(() => {
    const status = state.querySelector('.status-line .badge')?.textContent || '';
    const buttons = [...state.querySelectorAll('button')].map((b) => b.textContent.trim())
      .filter((name) => name === 'Cancel order' || name === 'Reroute');
    if (['cancelled', 'shipped'].includes(status.trim()) && buttons.length) {
      window.staleButtons.push(status + ': ' + buttons.join(', '));
    }
  }).observe(state, {childList: true, subtree: true});
}"""


def _placed(stack: Stack, order_id: str) -> dict[str, object]:
    with stack.client("checkout") as http:
        assert http.post("/orders", json=order_body(order_id)).status_code == 202
    with stack.client("support") as http:
        return wait_for(http, order_id, lambda o: o["fulfillments"], "dispatched")


def test_a_cancel_takes_the_buttons_away_with_the_status(page: Page, stack: Stack) -> None:
    _placed(stack, "WEB-5")
    sign_in(page, stack, "ops")
    page.goto(f"{stack.api_url}/console/orders/WEB-5")
    page.evaluate(WATCH_STALE_BUTTONS)
    expect(page.get_by_role("button", name="Reroute")).to_be_visible()
    page.get_by_label("Reason").nth(1).fill("customer asked")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator("#answer")).to_contain_text("Cancelled")
    expect(page.locator("#order-state .status-line")).to_contain_text("cancelled")
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
    expect(page.get_by_role("button", name="Reroute")).to_have_count(0)
    assert page.evaluate("window.staleButtons") == []
    shot(page, "order-cancelled")


def test_an_order_that_ships_while_its_page_is_open_loses_its_buttons(
    page: Page, stack: Stack
) -> None:
    order = _placed(stack, "WEB-6")
    package = order["fulfillments"][0]  # type: ignore[index]
    location, fid = package["location_id"], package["fulfillment_id"]
    sign_in(page, stack, "ops")
    page.goto(f"{stack.api_url}/console/orders/WEB-6")
    page.evaluate(WATCH_STALE_BUTTONS)
    expect(page.get_by_role("button", name="Cancel order")).to_be_visible()
    reason = page.get_by_label("Reason").nth(1)
    reason.fill("customer asked")  # someone is typing: the poll must not wipe it
    with stack.client(f"location:{location}") as http:
        url = f"/locations/{location}/fulfillments/{fid}/events"
        shipped = {"type": "shipped", "carrier": "UPS", "tracking_number": "1ZWEB6"}
        for event in ({"type": "accepted"}, {"type": "picked"}, {"type": "packed"}, shipped):
            assert http.post(url, json=event).status_code in (200, 202), event
    page.wait_for_timeout(6_000)  # more than one poll
    expect(reason).to_have_value("customer asked")
    reason.fill("")
    page.locator("h1").click()  # out of the field: the page is idle again
    # No reload: the page's own poll (every 5 s) brings the status and the panel at once.
    expect(page.locator("#order-state .status-line")).to_contain_text("shipped", timeout=20_000)
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
    assert page.evaluate("window.staleButtons") == []
    # The location's "done today" lists it, with the carrier and who handed it over.
    sign_in(page, stack, f"location:{location}")
    page.get_by_role("link", name="Done today").click()
    row = page.locator(f"[id='done-{fid}']")
    expect(row).to_contain_text("1ZWEB6")
    expect(row).to_contain_text("shipped")
    expect(row).to_contain_text(f"location:dev-location-{location}")
    shot(page, "done-today")


def test_a_mistyped_console_address_is_a_page_with_a_way_back(page: Page, stack: Stack) -> None:
    sign_in(page, stack, "support")
    for path in ("/console/ordres", "/console/orders/NOPE/x"):
        answer = page.goto(f"{stack.api_url}{path}")
        assert answer is not None and answer.status == 404
        assert answer.headers["content-type"].startswith("text/html")
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    shot(page, "not-found")
    page.get_by_role("link", name="Back to the console").click()
    expect(page).to_have_url(re.compile("/console$"))
    answer = page.goto(f"{stack.api_url}/console/orders/NOPE")
    assert answer is not None and answer.status == 404
    expect(page.locator("main")).to_contain_text("There is no order 'NOPE'")
    page.get_by_role("link", name="Find an order").click()
    expect(page).to_have_url(re.compile("/console/orders$"))
    with stack.client("support") as http:  # the API keeps its JSON
        assert http.get("/ordres").json()["message"] == "Not Found"


def _fits(page: Page, width: int) -> None:
    """Nothing makes the page wider than the screen (wide tables scroll inside)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    box = sign_out.bounding_box()  # on screen across, wherever the page is scrolled to
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_the_pick_list_and_the_order_page_fit_a_phone(page: Page, stack: Stack) -> None:
    order = _placed(stack, "WEB-7")
    package = order["fulfillments"][0]  # type: ignore[index]
    location, fid = package["location_id"], package["fulfillment_id"]
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, stack, f"location:{location}")
    card = page.locator(f"[id='pkg-{fid}']")
    expect(card).to_be_visible()
    _fits(page, 390)
    card.get_by_text("Short or reject…").click()
    expect(card.get_by_role("button", name="Reject")).to_be_visible()
    _fits(page, 390)
    box, panel = card.bounding_box(), card.locator("details.problems").bounding_box()
    assert box is not None and panel is not None
    assert box["x"] <= panel["x"] and panel["x"] + panel["width"] <= box["x"] + box["width"]
    shot(page, "phone-queue")
    card.get_by_text("Short or reject…").click()
    sign_in(page, stack, "ops")
    page.goto(f"{stack.api_url}/console/orders/WEB-7")
    expect(page.get_by_role("heading", name="Why this location")).to_be_visible()
    _fits(page, 390)
    shot(page, "phone-order")


# --- what a store and an operator do from a location's page -----------------------------


def _stock_row(page: Page, sku: str) -> object:
    return page.locator(f"#location-stock tr[data-sku='{sku}'] [data-figure=on_hand]")


def test_a_store_receives_and_counts_and_ops_adjusts_with_the_ledger_below(
    page: Page, stack: Stack
) -> None:
    sign_in(page, stack, "location:PHX-STORE")
    page.get_by_role("navigation").get_by_role("link", name="Stock").click()
    expect(page).to_have_url(re.compile("/console/locations/PHX-STORE$"))
    expect(page.get_by_role("button", name="Record adjustment")).to_have_count(0)  # ops only
    receipt = page.locator("form[action$='/receipts']")
    receipt.get_by_label("Product").select_option("CANDLE-CEDAR")
    receipt.get_by_label("Units").fill("5")
    receipt.get_by_label("Reference").fill("PO-PHX-1")
    receipt.get_by_role("button", name="Record receipt").click()
    expect(page.locator("#answer")).to_contain_text("Received 5: CANDLE-CEDAR at PHX-STORE now 8")
    expect(_stock_row(page, "CANDLE-CEDAR")).to_have_text("8")  # type: ignore[arg-type]
    latest = page.locator("table.recent tbody tr").first
    expect(latest).to_contain_text("PO-PHX-1")
    expect(latest).to_contain_text("location:dev-location-PHX-STORE")
    count = page.locator("form[action$='/counts']")
    count.get_by_label("Product").select_option("CANDLE-CEDAR")
    count.get_by_label("On hand").fill("6")
    count.get_by_role("button", name="Record count").click()
    expect(page.locator("#answer")).to_contain_text("Counted 6")
    expect(_stock_row(page, "CANDLE-CEDAR")).to_have_text("6")  # type: ignore[arg-type]
    expect(page.locator("table.recent tbody tr").first).to_contain_text("cycle count")
    sign_in(page, stack, "ops")
    page.goto(f"{stack.api_url}/console/locations/PHX-STORE")
    adjust = page.locator("form[action$='/adjustments']")
    adjust.get_by_label("Product").select_option("CANDLE-CEDAR")
    adjust.get_by_label("Change").fill("-7")
    adjust.get_by_label("Reason").fill("broken in transit")
    adjust.get_by_role("button", name="Record adjustment").click()
    expect(page.locator("#answer")).to_contain_text("Refused (409)")  # below zero
    adjust.get_by_label("Change").fill("-1")
    adjust.get_by_role("button", name="Record adjustment").click()
    expect(page.locator("#answer")).to_contain_text("Adjusted by -1")
    expect(_stock_row(page, "CANDLE-CEDAR")).to_have_text("5")  # type: ignore[arg-type]
    expect(page.locator("table.recent tbody tr").first).to_contain_text("broken in transit")
    shot(page, "location-stock")
    with stack.client("support") as http:
        ledger = http.get("/inventory/PHX-STORE/CANDLE-CEDAR/ledger").json()["entries"]
    assert [e["kind"] for e in ledger[:3]] == ["adjustment", "count", "receipt"]


def test_ops_takes_a_store_offline_and_stops_its_pickups(page: Page, stack: Stack) -> None:
    sign_in(page, stack, "ops")
    page.goto(f"{stack.api_url}/console/locations/CHI-STORE")
    settings = page.locator("#location-settings")
    page.once("dialog", lambda dialog: dialog.accept())
    settings.get_by_role("button", name="Take offline").click()
    expect(page.locator("#answer")).to_contain_text("Taken offline")
    expect(settings.locator(".status-line")).to_contain_text("offline")
    settings.get_by_role("button", name="Stop pickups").click()
    expect(page.locator("#answer")).to_contain_text("Pickups stopped")
    with stack.client("support") as http:
        chicago = http.get("/locations/CHI-STORE").json()
        assert (chicago["active"], chicago["pickup"]) == (False, False)
        history = http.get("/locations/CHI-STORE/history").json()
        assert history[0]["actor"] == "ops:dev-ops"
    shot(page, "location-offline")
    settings.get_by_role("button", name="Bring back online").click()
    expect(settings.get_by_role("button", name="Take offline")).to_be_visible()
    settings.get_by_role("button", name="Start pickups").click()
    expect(settings.get_by_role("button", name="Stop pickups")).to_be_visible()
    with stack.client("support") as http:
        chicago = http.get("/locations/CHI-STORE").json()
        assert (chicago["active"], chicago["pickup"]) == (True, True)
    # Support reads the same page without the switches.
    sign_in(page, stack, "support")
    page.goto(f"{stack.api_url}/console/locations/CHI-STORE")
    expect(page.locator("#location-settings .status-line")).to_contain_text("online")
    expect(page.get_by_role("button", name="Take offline")).to_have_count(0)


def test_ops_adds_a_sku_and_edits_its_name_weight_and_picture(page: Page, stack: Stack) -> None:
    sign_in(page, stack, "ops")
    page.get_by_role("link", name="Catalogue").click()
    add = page.locator("form.add-sku")
    add.get_by_label("SKU").fill("CANDLE-FIG")
    add.get_by_label("Name").fill("Fig candle")
    add.get_by_label("Weight (lb)").fill("1.2")
    add.get_by_role("button", name="Add SKU").click()
    expect(page.locator("#answer")).to_contain_text("Added CANDLE-FIG (Fig candle)")
    row = page.locator("[id='sku-CANDLE-FIG']")
    expect(row).to_contain_text("Fig candle")
    row.get_by_text("Edit CANDLE-FIG").click()
    row.get_by_label("Name").fill("Fig and cedar candle")
    row.get_by_label("Weight (lb)").fill("1.5")
    row.get_by_label("Picture (URL)").fill("https://img.example.com/fig.jpg")
    row.get_by_role("button", name="Save CANDLE-FIG").click()
    saved = "Saved CANDLE-FIG: Fig and cedar candle, 1.5 lb"
    expect(page.locator("#answer")).to_contain_text(saved)
    expect(row).to_contain_text("Fig and cedar candle")
    expect(row.locator("img.thumb")).to_have_attribute("src", "https://img.example.com/fig.jpg")
    shot(page, "catalogue")
    with stack.client("support") as http:
        fig = next(s for s in http.get("/skus").json() if s["sku"] == "CANDLE-FIG")
    assert (fig["name"], fig["weight_lb"]) == ("Fig and cedar candle", 1.5)
