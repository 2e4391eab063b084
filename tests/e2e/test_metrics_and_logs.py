"""Issue 14: the figures a dashboard scrapes move as an order lives, rerouted once, through
`dom up`; the Temporal SDK's own worker metrics are served; JSON logs name the order."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from starter.bootstrap.dev_server import free_port
from tests.support.builders import order_body
from tests.support.data import E2E
from tests.support.http import play_location, wait_for
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

SDK_PORT = free_port()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("metrics")
    env = {"DOM_LOG_FORMAT": "json", "DOM_TEMPORAL_METRICS_ADDRESS": f"127.0.0.1:{SDK_PORT}"}
    process, running = start_stack(tmp, E2E / "network.yaml", env)
    yield running
    stop_stack(process, running)


def figures(http: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = http.get("/metrics")
    assert answer.status_code == 200, answer.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def total(found: dict, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(
        value
        for (sample, have), value in found.items()
        if sample == name and set(labels.items()) <= set(have)
    )


def test_figures_move_as_an_order_is_placed_rerouted_and_shipped(stack: Stack) -> None:
    with stack.client("metrics") as scraper, stack.client() as http:
        before = figures(scraper)
        assert http.post("/orders", json=order_body("MX-1")).status_code == 202
        order = wait_for(http, "MX-1", lambda o: o["status"] == "fulfilling", "fulfilling")
        [first] = order["fulfillments"]
        moved = http.post(
            "/orders/MX-1/reroute",
            json={"exclude_location_ids": [first["location_id"]], "reason": "metrics test"},
        )
        assert moved.status_code == 200, moved.text
        [package] = moved.json()["fulfillments"]
        play_location(http, package["location_id"], package["fulfillment_id"], "1Z-MX-1")
        wait_for(http, "MX-1", lambda o: o["status"] == "shipped", "shipped")

        deadline = time.monotonic() + 15  # visibility counts lag by about a second
        while True:
            after = figures(scraper)
            shipped = total(after, "switchyard_orders", status="shipped")
            if shipped >= 1 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert shipped >= 1

    def delta(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert delta("switchyard_orders_placed_total", outcome="created") == 1
    assert delta("switchyard_order_placement_seconds_count") == 1
    # The first plan, the reroute's dry run and the reroute itself: each routed once.
    assert delta("switchyard_routing_seconds_count", outcome="routed") == 3
    assert delta("switchyard_allocation_cost_dollars_count", kind="order") == 1
    assert delta("switchyard_allocation_cost_dollars_sum", kind="order") > 0
    assert delta("switchyard_packages_per_allocation_count", kind="reroute") == 1
    assert delta("switchyard_reroutes_total", reason="operator") == 1
    assert total(after, "switchyard_backorders_waiting") == 0


def test_the_sdk_serves_its_worker_metrics(stack: Stack) -> None:
    answer = httpx.get(f"http://127.0.0.1:{SDK_PORT}/metrics", timeout=5)
    assert answer.status_code == 200
    assert "temporal_" in answer.text  # the SDK's own: polls, task slots, latencies


def test_json_log_lines_name_the_order_and_its_package(stack: Stack) -> None:
    lines = [
        json.loads(line) for line in stack.log.read_text().splitlines() if line.startswith("{")
    ]
    assert lines, "no JSON log line"
    about_the_order = [line for line in lines if line.get("order_id") == "MX-1"]
    messages = [line["message"] for line in about_the_order]
    # At INFO, what someone may look at: the reroute, the package taken back.
    assert any(m.startswith("reroute_requested: metrics test") for m in messages), messages
    taken_back = [m for m in about_the_order if m["message"].startswith("cancelled: rerouted")]
    assert [m["fulfillment_id"] for m in taken_back] == ["MX-1-F1"]
    assert all(line["workflow_id"] == "order-MX-1" for line in about_the_order)
    assert not any(m.startswith(("received", "shipped")) for m in messages)  # DEBUG
