"""A store associate works its own queue from the console, and only its own."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from domain.models import FulfillmentStatus, LocationEventType
from tests.support.fakes import FakeOrderGateway
from tests.support.http import csrf_of

HTMX = {"HX-Request": "true"}


def test_the_pick_list_names_products_recipient_and_deadline(
    signed_in: Callable[[str], TestClient],
) -> None:
    page = signed_in("location").get("/console/locations/SLC-3PL/queue")
    assert page.status_code == 200
    assert "A100-F1" in page.text and "P200" not in page.text
    assert "Dana at work" in page.text  # the ship-to name goes on the package
    # ... and the whole address, so the associate can label the box.
    assert "1701 Wynkoop Street, Suite 300, Denver CO 80202" in page.text
    assert "Accept due" in page.text  # dispatched 30 min ago, 2 h to accept
    assert ">Accept<" in page.text and ">Reject<" in page.text
    assert "/console/orders/A100" not in page.text  # a location reads no orders


def test_a_pickup_entry_names_the_customer_collecting_it(
    signed_in: Callable[[str], TestClient],
) -> None:
    page = signed_in("location:CHI-STORE").get("/console/locations/CHI-STORE/queue").text
    assert "Collected by <strong>Pat Pickup</strong>" in page


def test_the_api_queue_names_who_receives_each_package(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {tokens['location:CHI-STORE']}"}
    queue = app_client.get("/locations/CHI-STORE/fulfillments", headers=headers).json()
    assert [(e["fulfillment_id"], e["recipient"], e["due"]) for e in queue] == [
        ("P200-F1", "Pat Pickup", "accept")
    ]
    assert queue[0]["due_by"]


def test_the_api_queue_carries_the_whole_address(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {tokens['location']}"}
    [entry] = app_client.get("/locations/SLC-3PL/fulfillments", headers=headers).json()
    assert {k: entry["ship_to"][k] for k in ("name", "address1", "address2", "city", "region",
                                             "postal_code")} == {
        "name": "Dana at work", "address1": "1701 Wynkoop Street", "address2": "Suite 300",
        "city": "Denver", "region": "CO", "postal_code": "80202",
    }  # fmt: skip


def test_another_locations_queue_does_not_exist_for_a_location(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("location")
    answer = client.get("/console/locations/CHI-STORE/queue")
    assert answer.status_code == 404
    assert "unknown location" in answer.text
    token = csrf_of(client.get("/console/locations/SLC-3PL/queue").text)
    posted = client.post(
        "/console/locations/CHI-STORE/queue/P200-F1/events",
        data={"type": "accepted", "csrf_token": token},
    )
    assert posted.status_code == 404


def test_accept_posts_the_event_as_the_caller(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    client = signed_in("location")
    token = csrf_of(client.get("/console/locations/SLC-3PL/queue").text)
    answer = client.post(
        "/console/locations/SLC-3PL/queue/A100-F1/events",
        data={"type": "accepted", "csrf_token": token},
        headers=HTMX,
    )
    assert answer.status_code == 200, answer.text
    assert "A100-F1 is now accepted" in answer.text
    assert answer.headers["hx-trigger"] == "console-refresh"
    location, fid, event, actor = next(a for kind, a in gateway.asked if kind == "event")  # type: ignore[misc]
    assert (location, fid, event.type, actor) == (
        "SLC-3PL", "A100-F1", LocationEventType.ACCEPTED, "location:test-location"
    )  # fmt: skip
    listing = client.get("/console/locations/SLC-3PL/queue/list", headers=HTMX).text
    assert ">Picked<" in listing and ">Accept<" not in listing
    assert "Ship due" in listing  # the ship deadline runs from acceptance: known now


def test_an_event_that_makes_no_sense_is_a_409_in_words(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("location")
    token = csrf_of(client.get("/console/locations/SLC-3PL/queue").text)
    answer = client.post(
        "/console/locations/SLC-3PL/queue/A100-F1/events",
        data={"type": "ready_for_pickup", "csrf_token": token},
        headers=HTMX,
    )
    assert answer.status_code == 409
    assert "Refused (409)" in answer.text and "does not apply" in answer.text


def test_shipped_carries_carrier_and_tracking(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    gateway.orders["A100"].fulfillments[0].status = FulfillmentStatus.PACKED
    client = signed_in("location")
    token = csrf_of(client.get("/console/locations/SLC-3PL/queue").text)
    answer = client.post(
        "/console/locations/SLC-3PL/queue/A100-F1/events",
        data={"type": "shipped", "carrier": "UPS", "tracking_number": "1Z999",
              "csrf_token": token},
        headers=HTMX,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    package = gateway.orders["A100"].fulfillments[0]
    assert (package.status, package.carrier, package.tracking_number) == (
        FulfillmentStatus.SHIPPED, "UPS", "1Z999"
    )  # fmt: skip


def test_short_reports_the_quantities_found(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    client = signed_in("location")
    token = csrf_of(client.get("/console/locations/SLC-3PL/queue").text)
    answer = client.post(
        "/console/locations/SLC-3PL/queue/A100-F1/events",
        data={"type": "short", "found:SKIN-SERUM": "0", "found:SKIN-CLEANSER": "",
              "csrf_token": token},
        headers=HTMX,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    event = next(a for kind, a in gateway.asked if kind == "event")[2]  # type: ignore[index]
    assert [(line.sku, line.quantity) for line in event.lines] == [("SKIN-SERUM", 0)]


def test_reject_needs_its_reason_and_short_its_lines(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("location")
    token = csrf_of(client.get("/console/locations/SLC-3PL/queue").text)
    short = client.post(
        "/console/locations/SLC-3PL/queue/A100-F1/events",
        data={"type": "short", "csrf_token": token},
        headers=HTMX,
    )
    assert short.status_code == 422 and "lines and quantities" in short.text


def test_support_reads_a_queue_but_has_no_buttons(
    signed_in: Callable[[str], TestClient],
) -> None:
    page = signed_in("support").get("/console/locations/SLC-3PL/queue").text
    assert "A100-F1" in page and ">Accept<" not in page


def test_ops_may_report_for_a_location(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    client = signed_in("ops")
    token = csrf_of(client.get("/console/locations/CHI-STORE/queue").text)
    answer = client.post(
        "/console/locations/CHI-STORE/queue/P200-F1/events",
        data={"type": "accepted", "csrf_token": token},
        headers=HTMX,
    )
    assert answer.status_code == 200
    assert next(a for kind, a in gateway.asked if kind == "event")[3] == "ops:test-ops"  # type: ignore[index]


def test_an_event_for_something_that_is_no_fulfillment_id_is_a_404(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    client = signed_in("location")
    token = csrf_of(client.get("/console/locations/SLC-3PL/queue").text)
    answer = client.post(
        "/console/locations/SLC-3PL/queue/" + "A" * 300 + "-F1/events",
        data={"type": "accepted", "csrf_token": token},
    )
    assert answer.status_code == 404
    assert not [a for kind, a in gateway.asked if kind == "event"]


def test_the_pick_list_shows_a_products_picture(
    signed_in: Callable[[str], TestClient],
) -> None:
    ops = signed_in("ops")
    page = ops.get("/console/locations/SLC-3PL/queue").text
    assert 'class="thumb"' not in page  # no picture in the catalogue yet
    store = ops.app.state.store  # type: ignore[attr-defined]
    store.update_sku("SKIN-CLEANSER", image_url="https://cdn.example.com/cleanser.jpg")
    page = ops.get("/console/locations/SLC-3PL/queue").text
    assert 'src="https://cdn.example.com/cleanser.jpg"' in page
