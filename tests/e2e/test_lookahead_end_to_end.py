"""Issue 15 in production: with rules choosing ``lookahead``, ``dom up``'s worker learns
demand from the orders it allocates, refreshes prices in the background from live
stock, and routes an order away from the last units another region's customers need."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain.routing.rules import default_rules
from tests.support.builders import address, order_body
from tests.support.data import E2E
from tests.support.http import wait_for
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lookahead_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("lookahead")
    process, running = start_stack(
        tmp,
        E2E / "network_lookahead.yaml",
        {"DOM_LOOKAHEAD_REFRESH_SECONDS": "0.5", "DOM_LOOKAHEAD_MIN_ORDERS": "2"},
    )
    yield running
    stop_stack(process, running)
    assert process.returncode == 0, running.log.read_text()


def lantern_order(order_id: str, postal_code: str, city: str, region: str) -> dict[str, object]:
    ship_to = {**address(postal_code), "city": city, "region": region}
    return order_body(order_id, skus=["LANTERN"], ship_to=ship_to)


def routed(http: httpx.Client, order_id: str) -> dict:
    order = wait_for(http, order_id, lambda o: o["status"] == "fulfilling", "fulfilling")
    return order["routing"]


def wait_for_log(log: Path, text: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while text not in log.read_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"never logged {text!r}:\n{log.read_text()}")
        time.sleep(0.2)


def test_an_order_is_routed_away_from_the_last_units_of_a_store_in_demand(
    lookahead_stack: Stack,
) -> None:
    rules = default_rules().model_dump(mode="json")
    rules["policy"] = "lookahead"
    rules["lookahead"]["horizon_orders"] = 10  # ten lanterns to Chicago expected: scarce
    with lookahead_stack.client() as http:
        put = http.put("/routing/rules", json=rules)
        assert put.status_code == 200, put.text
        for k in range(2):  # before any prices: the plain optimum, Chicago's own store
            body = lantern_order(f"LA-CHI-{k}", "60614", "Chicago", "IL")
            assert http.post("/orders", json=body).status_code == 202
            assert routed(http, f"LA-CHI-{k}")["plan"]["packages"][0]["location_id"] == (
                "CHI-STORE"
            )
        wait_for_log(lookahead_stack.log, "lookahead prices refreshed: 1 SKUs priced from 2")

        denver = lantern_order("LA-DEN-1", "80202", "Denver", "CO")
        assert http.post("/orders", json=denver).status_code == 202
        decision = routed(http, "LA-DEN-1")
    assert decision["policy"] == "lookahead"
    assert [p["location_id"] for p in decision["plan"]["packages"]] == ["NWK-DC"]
    assert decision["plan"]["breakdown"]["opportunity"] == "0.00"
    # The runner-up it passed over carries the opportunity cost, in the explanation and
    # in its breakdown.
    assert "Chicago store's unit of LANTERN is worth $2.45" in decision["explanation"]
    [chicago] = [a for a in decision["alternatives"] if a["label"].startswith("Chicago store")]
    assert chicago["breakdown"]["opportunity"] == "2.45"
    assert chicago["cost"] == "18.10" and decision["plan"]["cost"] == "18.70"
