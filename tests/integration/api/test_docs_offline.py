"""``/docs`` loads Swagger UI from the package: it works without internet."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_the_docs_page_names_only_assets_the_api_serves(api: TestClient) -> None:
    page = api.get("/docs", headers={"Authorization": ""})
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']?([^"' >]+)""", page.text)
    assert assets and not [a for a in assets if "//" in a], assets
    for asset in assets:
        answer = api.get(asset, headers={"Authorization": ""})
        assert answer.status_code == 200, asset
    assert "/openapi.json" in page.text


def test_no_documentation_page_loads_from_a_cdn(api: TestClient) -> None:
    assert api.get("/redoc").status_code == 404  # ReDoc is a CDN page: not served
