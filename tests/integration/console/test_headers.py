"""The console's pages show customers' names and addresses: no other site may frame them,
nothing keeps a copy, no address leaks in a Referer. The API's answers are untouched."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient


def _framing_refused(headers: object) -> None:
    assert headers["x-frame-options"] == "DENY"  # type: ignore[index]
    policy = headers["content-security-policy"]  # type: ignore[index]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe" not in policy  # no unsafe-inline, no unsafe-eval
    assert headers["referrer-policy"] == "same-origin"  # type: ignore[index]
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]


def test_a_page_with_customer_data_is_never_framed_or_stored(
    signed_in: Callable[[str], TestClient],
) -> None:
    page = signed_in("support").get("/console/orders/A100")
    assert page.status_code == 200
    assert "dana@example.com" in page.text  # the page does hold a customer's details
    _framing_refused(page.headers)
    assert page.headers["cache-control"] == "no-store"


def test_the_sign_in_page_and_a_redirect_carry_the_headers_too(app_client: TestClient) -> None:
    for path in ("/console/login", "/console/orders"):
        answer = app_client.get(path)
        assert answer.status_code in (200, 303), (path, answer.status_code)
        _framing_refused(answer.headers)


def test_static_assets_keep_their_caching_and_the_api_is_untouched(
    app_client: TestClient,
) -> None:
    asset = app_client.get("/console/static/console.css")
    assert asset.status_code == 200
    _framing_refused(asset.headers)
    assert asset.headers.get("cache-control") != "no-store"
    health = app_client.get("/health")
    assert "x-frame-options" not in health.headers
    assert "content-security-policy" not in health.headers
