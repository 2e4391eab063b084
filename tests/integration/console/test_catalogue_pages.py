"""The SKU catalogue page: everyone who reads stock sees it; operations and admins add
SKUs and correct their name, weight and picture, as ``/skus`` does."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from tests.support.http import csrf_of

HTMX = {"HX-Request": "true"}


def _post(client: TestClient, path: str, data: dict[str, str]) -> object:
    token = csrf_of(client.get("/console/skus").text)
    return client.post(path, data={**data, "csrf_token": token}, headers=HTMX)


def _sku(store: InventoryStore, code: str) -> object:
    return next(s for s in store.network().skus if s.sku == code)


def test_ops_adds_a_sku_and_edits_it(
    signed_in: Callable[[str], TestClient], store: InventoryStore
) -> None:
    client = signed_in("ops")
    page = client.get("/console/skus").text
    assert 'id="sku-SKIN-SERUM"' in page and "Add SKU" in page
    answer = _post(client, "/console/skus", {"sku": "CANDLE-FIG", "weight_lb": "1.2",
                                              "name": "Fig candle"})  # fmt: skip
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    assert "Added CANDLE-FIG (Fig candle)" in answer.text  # type: ignore[attr-defined]
    assert answer.headers["hx-trigger"] == "console-refresh"  # type: ignore[attr-defined]
    answer = _post(client, "/console/skus/CANDLE-FIG", {
        "name": "Fig & cedar candle", "weight_lb": "1.5",
        "image_url": "https://img.example.com/fig.jpg"})  # fmt: skip
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    fig = _sku(store, "CANDLE-FIG")
    assert (fig.name, fig.weight_lb, fig.image_url) == (  # type: ignore[attr-defined]
        "Fig & cedar candle", 1.5, "https://img.example.com/fig.jpg")  # fmt: skip
    listed = client.get("/console/skus/list", headers=HTMX).text
    assert "Fig &amp; cedar candle" in listed and "<html" not in listed
    # A blank name and picture clear them; a blank weight keeps the weight.
    _post(client, "/console/skus/CANDLE-FIG", {"name": "", "weight_lb": "", "image_url": ""})
    fig = _sku(store, "CANDLE-FIG")
    assert (fig.name, fig.weight_lb, fig.image_url) == (None, 1.5, None)  # type: ignore[attr-defined]


def test_the_catalogue_refuses_what_the_api_refuses(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("admin")
    answer = _post(client, "/console/skus", {"sku": "SKIN-SERUM", "weight_lb": "1"})
    assert answer.status_code == 409 and "already" in answer.text  # type: ignore[attr-defined]
    answer = _post(client, "/console/skus", {"sku": "NEW-1", "weight_lb": "-1"})
    assert answer.status_code == 422 and "weight_lb" in answer.text  # type: ignore[attr-defined]
    answer = _post(client, "/console/skus", {"sku": "bad sku!", "weight_lb": "1"})
    assert answer.status_code == 422 and "sku" in answer.text  # type: ignore[attr-defined]
    answer = _post(client, "/console/skus/SKIN-SERUM", {"image_url": "javascript:alert(1)"})
    assert answer.status_code == 422 and "image_url" in answer.text  # type: ignore[attr-defined]
    answer = _post(client, "/console/skus/NOPE", {"name": "x"})
    assert answer.status_code == 404  # type: ignore[attr-defined]


def test_support_reads_the_catalogue_but_may_not_change_it(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("support")
    page = client.get("/console/skus").text
    assert 'id="sku-SKIN-SERUM"' in page
    assert "Add SKU" not in page and "Save SKIN-SERUM" not in page
    answer = _post(client, "/console/skus", {"sku": "NEW-2", "weight_lb": "1"})
    assert answer.status_code == 403  # type: ignore[attr-defined]
    answer = _post(client, "/console/skus/SKIN-SERUM", {"name": "x"})
    assert answer.status_code == 403  # type: ignore[attr-defined]
