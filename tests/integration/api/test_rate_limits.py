"""A flood from one caller is answered 429 with ``Retry-After`` before it reaches
Temporal (the gateway) or the store, while every other caller goes on; after waiting
``Retry-After`` the flooder is served again. The API in process, over a real store."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from domain.fulfillment import LocationEvent
from domain.orders import EventReceipt
from starter.app import create_app
from starter.cli.loadtest import polite_request
from tests.support.builders import order_body
from tests.support.fakes import FakeOrderGateway
from tests.support.keys import ADMIN, TEST_KEYS, issue_role_tokens
from tests.support.stack import api_settings


class CountingGateway(FakeOrderGateway):
    """Counts the events that reached it: a 429 must never be one of them."""

    def __init__(self) -> None:
        super().__init__(route_to="NWK-DC")
        self.events_reached = 0

    async def report_event(
        self, location_id: str, fulfillment_id: str, event: LocationEvent, *, actor: str
    ) -> EventReceipt:
        self.events_reached += 1
        return await super().report_event(location_id, fulfillment_id, event, actor=actor)


@pytest.fixture
def limited(store: InventoryStore) -> Iterator[tuple[TestClient, CountingGateway, dict[str, str]]]:
    """The API with a location limit of 1 a second, bursts of 5; tokens for NWK-DC,
    SLC-3PL and checkout."""
    gateway = CountingGateway()
    settings = api_settings(rate_limit_location="1/5", rate_limit_unauthenticated="1/3")
    app = create_app(settings, gateway=gateway, store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    tokens = {
        "nwk": issue_role_tokens(store, ["location"], prefix="wms-nwk", location="NWK-DC"),
        "slc": issue_role_tokens(store, ["location"], prefix="wms-slc", location="SLC-3PL"),
        "checkout": issue_role_tokens(store, ["checkout"], prefix="shop"),
    }
    bearer = {name: f"Bearer {issued[next(iter(issued))]}" for name, issued in tokens.items()}
    with TestClient(app, headers=ADMIN) as client:
        yield client, gateway, bearer


def test_a_location_flood_gets_429_while_others_go_on_then_it_is_served_again(
    limited: tuple[TestClient, CountingGateway, dict[str, str]],
) -> None:
    api, gateway, bearer = limited
    shop = {"Authorization": bearer["checkout"]}
    placed = api.post("/orders", json=order_body("RL1"), headers=shop)
    assert placed.status_code in (200, 201, 202), placed.text
    url = "/locations/NWK-DC/fulfillments/RL1-F1/events"
    nwk = {"Authorization": bearer["nwk"]}
    answers = [
        api.post(url, json={"type": "accepted", "event_id": "e-1"}, headers=nwk) for _ in range(12)
    ]
    statuses = [a.status_code for a in answers]
    assert 429 not in statuses[:5], statuses  # the burst
    refused = [a for a in answers if a.status_code == 429]
    assert len(refused) >= 6, statuses  # a burst of 5, and at most a token or two refilled
    assert gateway.events_reached == 12 - len(refused)  # a 429 never reached Temporal
    answer = refused[-1]
    assert answer.json()["error"] == "RateLimited"
    assert "wms-nwk-location" in answer.json()["message"]
    wait = int(answer.headers["Retry-After"])
    assert 1 <= wait <= 2

    # Another location and checkout are not held up by NWK-DC's flood.
    slc = {"Authorization": bearer["slc"]}
    assert api.get("/locations/SLC-3PL/fulfillments", headers=slc).status_code == 200
    assert (
        api.post("/locations/SLC-3PL/fulfillments/NONE-F1/events",
                 json={"type": "accepted"}, headers=slc).status_code == 404
    )  # fmt: skip
    again = api.post("/orders", json=order_body("RL2"), headers=shop)
    assert again.status_code in (200, 201, 202), again.text
    assert api.get("/locations/NWK-DC/fulfillments", headers=nwk).status_code == 200  # reads apart

    time.sleep(wait)
    after = api.post(url, json={"type": "accepted", "event_id": "e-1"}, headers=nwk)
    assert after.status_code != 429, after.text


def test_a_token_guesser_gets_429_before_the_store_is_asked(
    limited: tuple[TestClient, CountingGateway, dict[str, str]],
) -> None:
    api, _, bearer = limited
    slc = {"Authorization": bearer["slc"]}
    assert api.get("/locations/SLC-3PL/fulfillments", headers=slc).status_code == 200
    guesses = [
        api.get("/orders/RL1", headers={"Authorization": f"Bearer sy_{n:043d}"}).status_code
        for n in range(6)
    ]
    assert guesses[:3] == [401, 401, 401], guesses
    assert set(guesses[3:]) == {429}, guesses
    # A token in use is not held up by its address's failed sign-ins (it is remembered:
    # no store read); one not seen lately waits for Retry-After, like a guess.
    assert api.get("/locations/SLC-3PL/fulfillments", headers=slc).status_code == 200
    nwk = {"Authorization": bearer["nwk"]}
    held = api.get("/locations/NWK-DC/fulfillments", headers=nwk)
    assert held.status_code == 429
    time.sleep(int(held.headers["Retry-After"]))
    assert api.get("/locations/NWK-DC/fulfillments", headers=nwk).status_code == 200


def test_health_and_the_429_in_the_schema(
    limited: tuple[TestClient, CountingGateway, dict[str, str]],
) -> None:
    api, _, _ = limited
    assert all(api.get("/health").status_code in (200, 503) for _ in range(30))
    schema = api.get("/openapi.json").json()
    answers = schema["paths"]["/locations/{location_id}/fulfillments/{fulfillment_id}/events"]
    assert "429" in answers["post"]["responses"]


async def test_dom_loadtest_waits_out_a_429_instead_of_failing(store: InventoryStore) -> None:
    """`dom loadtest` polls faster than any real caller: it honours Retry-After."""
    settings = api_settings(rate_limit_reads="1/1")
    app = create_app(settings, gateway=FakeOrderGateway(), store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app):  # runs the app's lifespan (its store, authenticator...)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=ADMIN
        ) as http:
            assert (await http.get("/orders/NONE")).status_code == 404
            assert (await http.get("/orders/NONE")).status_code == 429
            started = time.monotonic()
            answer = await polite_request(http, "GET", "/orders/NONE")
    assert answer.status_code == 404
    assert time.monotonic() - started >= 0.9  # it waited for Retry-After
