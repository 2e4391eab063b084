"""Only configured host names are served: any other ``Host`` gets a JSON 400."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from starter.api.hosts import TrustedHosts, host_name
from starter.app import create_app
from starter.bootstrap.settings import Settings
from tests.support.fakes import FakeOrderGateway
from tests.support.keys import ADMIN, ADMIN_TOKEN, TEST_KEYS


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("API.example.com:8000", "api.example.com"),
        ("[::1]:8000", "::1"),
        ("localhost", "localhost"),
        ("switchyard_api:8000", "switchyard_api"),  # a Docker service name
    ],
)
def test_the_host_name_is_the_header_without_its_port(header: str, name: str) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    "header",
    [
        "127.0.0.1:evil",
        "[127.0.0.1]evil.example",
        "[::1]evil.example",
        "[::1]:",
        "[::1",
        "host:",
        "host:99999",
        "host:0",
        "host:-1",
        "host: 80",
        "host:8000:8000",
        "::1",
        "a..b",
        "-host",
        "user@host",
        "host/path",
        "host\\x00",
        "",
    ],
)
def test_a_host_that_is_not_a_name_with_an_optional_port_has_no_name(header: str) -> None:
    assert host_name(header) is None


def test_names_subdomains_and_any() -> None:
    hosts = TrustedHosts(app=None, allowed=["api.example.com", "*.shop.example", "[::1]"])  # type: ignore[arg-type]
    assert hosts.allows("api.example.com:443") and hosts.allows("[::1]:8000")
    assert hosts.allows("eu.shop.example") and not hosts.allows("shop.example")
    assert not hosts.allows("evil.example") and not hosts.allows("")
    assert TrustedHosts(app=None, allowed=["*"]).allows("anything")  # type: ignore[arg-type]
    # A subdomain of a wildcard, with a port or without; never with junk after the name.
    assert hosts.allows("a.b.shop.example:8443") and not hosts.allows("eu.shop.example:evil")
    assert not hosts.allows("[127.0.0.1]eu.shop.example") and not hosts.allows("api.example.com:")


def test_two_host_headers_are_refused(store: InventoryStore) -> None:
    settings = Settings(admin_token=ADMIN_TOKEN)
    app = create_app(settings, gateway=FakeOrderGateway(), store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app, base_url="http://localhost:8000", headers=ADMIN) as api:
        for pair in [("localhost", "evil.example"), ("evil.example", "localhost")]:
            request = api.build_request("GET", "/locations")
            others = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "host"]
            request.headers = httpx.Headers([*others, *(("host", h) for h in pair)])
            assert api.send(request).status_code == 400, pair


def test_by_default_only_localhost_and_127_0_0_1_are_served(store: InventoryStore) -> None:
    settings = Settings(admin_token=ADMIN_TOKEN)
    app = create_app(settings, gateway=FakeOrderGateway(), store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app, base_url="http://localhost:8000", headers=ADMIN) as api:
        assert api.get("/locations").status_code == 200
        assert api.get("/locations", headers={"Host": "127.0.0.1:8000"}).status_code == 200
        for host in ("testserver", "evil.example", "switchyard.internal:8000"):
            refused = api.get("/locations", headers={"Host": host})
            assert refused.status_code == 400, host
            assert refused.json() == {
                "message": "this API does not serve that host name; use the address you were given",
                "error": "UnknownHost",
            }
        # Refused before anything else: no token checked, no body read, no route run.
        posted = api.post("/orders", json={}, headers={"Host": "evil.example"})
        assert posted.status_code == 400
        anonymous = api.get("/health", headers={"Host": "evil.example", "Authorization": ""})
        assert anonymous.status_code == 400


def test_the_configured_public_name_is_served(store: InventoryStore) -> None:
    settings = Settings(allowed_hosts=["orders.example.com"], admin_token=ADMIN_TOKEN)
    app = create_app(settings, gateway=FakeOrderGateway(), store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app, base_url="https://orders.example.com", headers=ADMIN) as api:
        assert api.get("/locations").status_code == 200
        assert api.get("/locations", headers={"Host": "localhost"}).status_code == 400


def test_listening_everywhere_still_calls_itself_by_a_served_name() -> None:
    assert Settings(api_host="0.0.0.0", api_port=8000).api_url == "http://127.0.0.1:8000"
