"""``GET /metrics``: Prometheus's text format, for the metrics role and operations only,
with the cluster-wide gauges read at scrape time and the API's own figures moving."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from adapters.store import InventoryStore
from starter.app import create_app
from tests.support.builders import order_body
from tests.support.fakes import FakeOrderGateway
from tests.support.keys import TEST_KEYS, issue_role_tokens
from tests.support.stack import api_settings


@pytest.fixture
def gateway() -> FakeOrderGateway:
    return FakeOrderGateway()


@pytest.fixture
def tokens(store: InventoryStore) -> dict[str, str]:
    return issue_role_tokens(store, ["metrics", "ops", "support", "checkout"], prefix="t")


@pytest.fixture
def client(store: InventoryStore, gateway: FakeOrderGateway) -> Iterator[TestClient]:
    app = create_app(api_settings(), gateway=gateway, store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app) as test_client:
        yield test_client


def as_role(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def figures(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


ORDER = order_body("M-1", skus=["SKIN-SERUM"])


def test_the_metrics_role_and_operations_may_scrape_no_one_else(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for role in ("metrics", "ops"):
        answer = client.get("/metrics", headers=as_role(tokens[role]))
        assert answer.status_code == 200, (role, answer.text)
        assert answer.headers["content-type"].startswith("text/plain")
    for role in ("support", "checkout"):
        assert client.get("/metrics", headers=as_role(tokens[role])).status_code == 403
    assert client.get("/metrics").status_code == 401
    # A scraper's token reads figures, never an order nor a balance.
    assert client.get("/orders", headers=as_role(tokens["metrics"])).status_code == 403
    assert (
        client.get("/inventory/SKIN-SERUM", headers=as_role(tokens["metrics"])).status_code == 403
    )


def test_figures_move_when_orders_are_placed(
    client: TestClient, tokens: dict[str, str], store: InventoryStore
) -> None:
    metrics_token = as_role(tokens["metrics"])
    before = figures(client.get("/metrics", headers=metrics_token).text)
    store.record_backorder("WAITING-1", ["SKIN-SERUM"])
    checkout = as_role(tokens["checkout"])
    assert client.post("/orders", json=ORDER, headers=checkout).status_code == 202
    assert client.post("/orders", json=ORDER, headers=checkout).status_code == 200  # a repeat

    after = figures(client.get("/metrics", headers=metrics_token).text)

    def moved(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0.0)

    assert moved("switchyard_orders_placed_total", outcome="created") == 1
    assert moved("switchyard_orders_placed_total", outcome="repeat") == 1
    assert moved("switchyard_order_placement_seconds_count") == 2
    assert after[("switchyard_orders", (("status", "received"),))] == 1
    assert after[("switchyard_orders", (("status", "shipped"),))] == 0
    assert after[("switchyard_backorders_waiting", ())] == 1
    for name in ("switchyard_routing_seconds", "switchyard_reroutes",
                 "switchyard_sla_breaches", "switchyard_reservation_conflicts"):  # fmt: skip
        assert f"# TYPE {name}" in client.get("/metrics", headers=metrics_token).text


def test_a_scrape_answers_while_temporal_is_down(
    client: TestClient, tokens: dict[str, str], gateway: FakeOrderGateway
) -> None:
    gateway.failure = RuntimeError("Temporal is unreachable")
    answer = client.get("/metrics", headers=as_role(tokens["metrics"]))
    assert answer.status_code == 200
    assert "switchyard_backorders_waiting" in answer.text
    assert 'switchyard_metrics_source_up{source="temporal"} 0.0' in answer.text
    assert 'switchyard_metrics_source_up{source="database"} 1.0' in answer.text
