"""Signing in to the console: the API's tokens, a cookie no script or other site can
use, and forms that refuse a request forged elsewhere."""

from __future__ import annotations

from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from domain.access import Role, TokenGrant
from services.access import issue_token
from tests.support.http import csrf_of, sign_in


def test_a_page_without_a_session_sends_the_browser_to_sign_in(app_client: TestClient) -> None:
    answer = app_client.get("/console/orders?status=shipped")
    assert answer.status_code == 303
    assert (
        answer.headers["location"] == "/console/login?next=%2Fconsole%2Forders%3Fstatus%3Dshipped"
    )
    assert "Sign in" in app_client.get("/console/login").text


def test_htmx_without_a_session_is_redirected_by_header(app_client: TestClient) -> None:
    answer = app_client.get("/console/orders/A100/state", headers={"HX-Request": "true"})
    assert answer.headers["hx-redirect"] == "/console/login"


def test_signing_in_sets_an_httponly_strict_cookie_holding_the_token(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    page = app_client.get("/console/login")
    answer = app_client.post(
        "/console/login",
        data={
            "token": tokens["support"],
            "csrf_token": csrf_of(page.text),
            "next": "/console/orders",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/orders"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("sy_console="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=strict" in flags and "path=/console" in flags
    assert "secure" not in flags  # plain http (a developer's laptop): a Secure cookie is lost
    assert app_client.get("/console/orders").status_code == 200


def test_over_https_the_cookie_is_secure(store, gateway, tokens) -> None:  # type: ignore[no-untyped-def]
    from starter.app import create_app
    from tests.support.keys import TEST_KEYS
    from tests.support.stack import api_settings

    app = create_app(api_settings(), gateway=gateway, store=store, keys=TEST_KEYS)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        page = client.get("/console/login")
        answer = client.post(
            "/console/login", data={"token": tokens["ops"], "csrf_token": csrf_of(page.text)}
        )
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("sy_console="))
    assert "secure" in cookie.lower()


def test_a_location_token_lands_on_its_own_queue(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    page = app_client.get("/console/login")
    answer = app_client.post(
        "/console/login", data={"token": tokens["location"], "csrf_token": csrf_of(page.text)}
    )
    assert answer.headers["location"] == "/console/locations/SLC-3PL/queue"


def test_a_wrong_token_is_refused_in_words(app_client: TestClient) -> None:
    page = app_client.get("/console/login")
    answer = app_client.post(
        "/console/login", data={"token": "sy_" + "x" * 43, "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 401
    assert "That token does not work" in answer.text
    assert "sy_console=" not in answer.headers.get("set-cookie", "")


def test_a_checkout_token_has_no_console(app_client: TestClient, tokens: dict[str, str]) -> None:
    page = app_client.get("/console/login")
    answer = app_client.post(
        "/console/login", data={"token": tokens["checkout"], "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 403


def test_a_metrics_token_has_no_console(app_client: TestClient, store: InventoryStore) -> None:
    scraper, _ = issue_token(store, TokenGrant("prometheus", Role.METRICS), created_by="test")
    page = app_client.get("/console/login")
    answer = app_client.post(
        "/console/login", data={"token": scraper, "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 403
    assert "metrics token has no console pages" in answer.text


def test_sign_in_without_the_forms_csrf_token_is_refused(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    app_client.get("/console/login")
    answer = app_client.post("/console/login", data={"token": tokens["ops"]})
    assert answer.status_code == 403
    assert "security token" in answer.text


def test_a_post_without_the_sessions_csrf_token_is_refused(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    client = sign_in(app_client, tokens["ops"])
    form = {"reason": "store lost power", "exclude": "SLC-3PL"}
    assert client.post("/console/orders/A100/reroute", data=form).status_code == 403
    stale = {**form, "csrf_token": "0" * 64}
    assert client.post("/console/orders/A100/reroute", data=stale).status_code == 403


def test_a_post_from_another_origin_is_refused_even_with_the_token(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    client = sign_in(app_client, tokens["ops"])
    token = csrf_of(client.get("/console/orders/A100").text)
    answer = client.post(
        "/console/orders/A100/cancel",
        data={"reason": "forged", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403


def test_the_csrf_token_is_bound_to_the_session(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    client = sign_in(app_client, tokens["ops"])
    ops_token = csrf_of(client.get("/console/orders/A100").text)
    sign_in(client, tokens["admin"])  # another session in the same browser
    answer = client.post(
        "/console/orders/A100/cancel", data={"reason": "x", "csrf_token": ops_token}
    )
    assert answer.status_code == 403


def test_signing_out_forgets_the_cookie(app_client: TestClient, tokens: dict[str, str]) -> None:
    client = sign_in(app_client, tokens["support"])
    token = csrf_of(client.get("/console/orders").text)
    answer = client.post("/console/logout", data={"csrf_token": token})
    assert answer.status_code == 303
    assert client.get("/console/orders").status_code == 303


def test_a_revoked_token_ends_the_session(app_client: TestClient, tokens: dict[str, str]) -> None:
    client = sign_in(app_client, tokens["support"])
    client.app.state.store.revoke_token("test-support")  # type: ignore[attr-defined]
    client.app.state.authenticator.forget()  # type: ignore[attr-defined]
    assert client.get("/console/orders").status_code == 303


def test_console_pages_are_not_in_the_api_schema(app_client: TestClient) -> None:
    schema = app_client.get("/openapi.json").json()
    assert not [path for path in schema["paths"] if path.startswith("/console")]
