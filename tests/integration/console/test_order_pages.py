"""Support finds an order and reads why it went where it went; operations reroutes or
cancels it from the page, and reads the answer in words."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from domain.models import FulfillmentStatus
from starter.gateway.orders import WorkflowUnavailable
from tests.support.fakes import FakeOrderGateway
from tests.support.http import csrf_of

HTMX = {"HX-Request": "true"}


def test_support_finds_an_order_by_email(signed_in: Callable[[str], TestClient]) -> None:
    page = signed_in("support").get("/console/orders", params={"email": "dana@example.com"})
    assert page.status_code == 200
    assert 'href="/console/orders/A100"' in page.text
    assert "P200" not in page.text
    assert 'class="badge badge-fulfilling"' in page.text


def test_a_search_by_order_id_finds_that_order_only(
    signed_in: Callable[[str], TestClient],
) -> None:
    page = signed_in("support").get("/console/orders", params={"order_id": "P200"})
    assert 'href="/console/orders/P200"' in page.text and "A100" not in page.text
    assert "No orders match" in signed_in("support").get("/console/orders?order_id=NOPE").text


def test_a_search_refuses_what_would_not_be_an_id(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    page = signed_in("support").get("/console/orders", params={"sku": "X' OR 1=1"})
    assert "sku: letters, digits" in page.text
    assert not [ask for ask in gateway.asked if ask[0] == "find"]  # never reached Temporal


def test_the_order_page_tells_the_whole_story(signed_in: Callable[[str], TestClient]) -> None:
    page = signed_in("support").get("/console/orders/A100").text
    assert "Dana Denver" in page and "dana@example.com" in page
    # Where the parcel goes, in full: support can confirm it to the customer.
    assert "Dana at work, 1701 Wynkoop Street, Suite 300, Denver CO 80202" in page
    assert "A100-F1" in page and "SLC-3PL" in page
    # Why this location: the winner marked, each alternative with its cost breakdown.
    assert "SLC-3PL holds every line and is the closest to Denver" in page
    assert "✔ chosen" in page
    for figure in ("$7.10", "$8.60", "$12.40", "$13.90", "$9.90", "+$5.30", "+$2.80"):
        assert figure in page, figure
    assert "checkout:shop" in page  # the timeline names who did what
    # Support may cancel, not reroute.
    assert "/console/orders/A100/cancel" in page
    assert "/console/orders/A100/reroute" not in page


def test_ops_sees_the_reroute_form(signed_in: Callable[[str], TestClient]) -> None:
    page = signed_in("ops").get("/console/orders/A100").text
    assert "/console/orders/A100/reroute" in page and 'name="exclude" value="SLC-3PL"' in page


def test_an_unknown_order_is_a_404_page(signed_in: Callable[[str], TestClient]) -> None:
    answer = signed_in("support").get("/console/orders/NOPE")
    assert answer.status_code == 404
    assert "no order" in answer.text and "<html" in answer.text


def test_a_location_may_not_read_orders(signed_in: Callable[[str], TestClient]) -> None:
    client = signed_in("location")
    assert client.get("/console/orders").status_code == 403
    assert client.get("/console/orders/A100").status_code == 403


def test_ops_reroutes_and_reads_the_answer_in_words(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    client = signed_in("ops")
    token = csrf_of(client.get("/console/orders/A100").text)
    answer = client.post(
        "/console/orders/A100/reroute",
        data={"reason": "store lost power", "exclude": ["SLC-3PL"], "csrf_token": token},
        headers=HTMX,
    )
    assert answer.status_code == 200, answer.text
    assert "took back A100-F1" in answer.text and "A100-F2 at NWK-DC" in answer.text
    assert answer.headers["hx-trigger"] == "console-refresh"
    request = next(r for kind, r in gateway.asked if kind == "reroute")
    assert request.exclude_location_ids == ["SLC-3PL"]  # type: ignore[attr-defined]
    assert request.actor == "ops:test-ops"  # type: ignore[attr-defined]
    state = client.get("/console/orders/A100/state", headers=HTMX).text
    assert "A100-F2" in state and "<html" not in state


def test_a_reroute_to_an_unknown_location_is_refused_as_the_api_would(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("ops")
    token = csrf_of(client.get("/console/orders/A100").text)
    answer = client.post(
        "/console/orders/A100/reroute",
        data={"reason": "x", "force": "MARS-BASE", "csrf_token": token},
        headers=HTMX,
    )
    assert answer.status_code == 422
    assert "unknown location &#39;MARS-BASE&#39;" in answer.text


def test_a_reroute_needs_a_reason(signed_in: Callable[[str], TestClient]) -> None:
    client = signed_in("ops")
    token = csrf_of(client.get("/console/orders/A100").text)
    answer = client.post("/console/orders/A100/reroute", data={"csrf_token": token}, headers=HTMX)
    assert answer.status_code == 422 and "reason" in answer.text


def test_support_may_not_reroute(signed_in: Callable[[str], TestClient]) -> None:
    client = signed_in("support")
    token = csrf_of(client.get("/console/orders/A100").text)
    answer = client.post(
        "/console/orders/A100/reroute", data={"reason": "x", "csrf_token": token}, headers=HTMX
    )
    assert answer.status_code == 403


def test_a_cancel_refused_says_why(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    gateway.orders["A100"].fulfillments[0].status = FulfillmentStatus.SHIPPED
    client = signed_in("support")
    token = csrf_of(client.get("/console/orders/A100").text)
    answer = client.post(
        "/console/orders/A100/cancel",
        data={"reason": "customer asked", "csrf_token": token},
        headers=HTMX,
    )
    assert answer.status_code == 409
    assert "A100-F1 already shipped" in answer.text
    # The state reloads (it moved on), once nobody is typing in it: the form keeps its text.
    assert answer.headers["hx-trigger"] == "console-stale"


def test_support_cancels_an_order(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    client = signed_in("support")
    token = csrf_of(client.get("/console/orders/P200").text)
    answer = client.post(
        "/console/orders/P200/cancel", data={"reason": "customer asked", "csrf_token": token}
    )
    assert answer.status_code == 200 and "Cancelled" in answer.text  # no htmx: a small page
    assert gateway.orders["P200"].status.value == "cancelled"


def test_temporal_not_answering_is_a_503_page_in_words(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    async def unavailable(order_id: str, **_: object) -> None:
        raise WorkflowUnavailable("order-A100 did not answer within 10s; is a worker running?")

    gateway.get_order = unavailable  # type: ignore[method-assign,assignment]
    answer = signed_in("support").get("/console/orders/A100")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert "cannot answer now" in answer.text and "<html" in answer.text


def test_the_actions_come_with_the_state_and_go_once_it_ends(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    """The state fragment the page reloads carries the action panel, so a cancel (or the
    order ending while the page is open) takes the buttons away in the same swap."""
    client = signed_in("ops")
    state = client.get("/console/orders/P200/state", headers=HTMX).text
    assert "/console/orders/P200/cancel" in state and "/console/orders/P200/reroute" in state
    token = csrf_of(client.get("/console/orders/P200").text)
    client.post(
        "/console/orders/P200/cancel", data={"reason": "asked", "csrf_token": token}, headers=HTMX
    )
    state = client.get("/console/orders/P200/state", headers=HTMX).text
    assert "badge-cancelled" in state
    assert "/cancel" not in state and "/reroute" not in state


def test_a_console_address_that_does_not_exist_is_a_page_with_a_way_back(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("support")
    for path in ("/console/ordres", "/console/orders/NOPE/x", "/console/locations/NWK-DC/nope"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "Page not found" in answer.text and 'href="/console"' in answer.text
        assert "Sign out" in answer.text  # the console's layout, signed in
        assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert client.get("/console/orders/A100/cancel").status_code == 405  # a page too
    # The API keeps its JSON 404.
    api = client.get("/ordres")
    assert api.status_code == 404 and api.json()["message"] == "Not Found"


def test_a_missing_page_is_a_page_before_signing_in_too(app_client: TestClient) -> None:
    answer = app_client.get("/console/ordres")
    assert answer.status_code == 404 and "Page not found" in answer.text
    assert "Sign out" not in answer.text


def test_an_unknown_order_page_offers_the_search(signed_in: Callable[[str], TestClient]) -> None:
    answer = signed_in("support").get("/console/orders/NOPE")
    assert answer.status_code == 404 and "There is no order" in answer.text
    assert 'href="/console/orders"' in answer.text


def test_a_missing_page_is_a_page_while_the_database_is_down(
    signed_in: Callable[[str], TestClient],
) -> None:
    from adapters.store.errors import StoreUnavailable

    client = signed_in("support")

    def down(token: str) -> None:
        raise StoreUnavailable("the database is not answering")

    client.app.state.authenticator.forget()  # type: ignore[attr-defined]
    client.app.state.authenticator.principal = down  # type: ignore[attr-defined]
    answer = client.get("/console/ordres")
    assert answer.status_code == 404 and "Page not found" in answer.text
