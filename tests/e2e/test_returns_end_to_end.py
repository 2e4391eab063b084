"""Issue 23 item 4 over HTTP through `dom up`: a shipped order's lines authorized back,
received sellable (stock back, a ledger row) and damaged (not restocked), the refund in
the event a subscriber hears, a repeated report, a return past the window refused, and
`dom inventory check` clean afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.builders import order_body
from tests.support.data import E2E
from tests.support.http import play_location, stock_of, wait_for
from tests.support.stack import Stack, start_stack, stop_stack
from tests.support.subscriber import Subscriber, listening

pytestmark = pytest.mark.e2e

SECRET = "whsec_e2e_returns_0123456789ab"


@pytest.fixture(scope="module")
def subscriber() -> Iterator[Subscriber]:
    with listening() as running:
        yield running


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str]]:
    tmp = tmp_path_factory.mktemp("returns")
    process, running = start_stack(
        tmp, E2E / "network.yaml", {"DOM_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}
    )
    args = [str(a) for a in process.args]  # type: ignore[union-attr]
    yield running, f"127.0.0.1:{args[args.index('--temporal-port') + 1]}"
    stop_stack(process, running)


def shipped_order(http: httpx.Client, order_id: str) -> str:
    """A priced Denver order, placed and played to shipped; the location it left from."""
    lines = [
        {"line_id": "1", "sku": "SKIN-SERUM", "quantity": 1, "unit_price": "24.00"},
        {"line_id": "2", "sku": "SKIN-CLEANSER", "quantity": 2, "unit_price": "12.50"},
    ]
    assert http.post("/orders", json=order_body(order_id, lines=lines)).status_code == 202
    order = wait_for(http, order_id, lambda o: o["status"] == "fulfilling", "fulfilling")
    [package] = order["fulfillments"]
    play_location(http, package["location_id"], package["fulfillment_id"], f"1Z-{order_id}")
    wait_for(http, order_id, lambda o: o["status"] == "shipped", "shipped", seconds=60)
    location_id: str = package["location_id"]
    return location_id


def wait_return(http: httpx.Client, return_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = http.get(f"/returns/{return_id}")
        if answer.status_code == 200 and answer.json()["status"] == status:
            return answer.json()  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"return {return_id} never became {status}: {answer.text}")


def test_a_return_received_sellable_and_damaged_restocks_only_the_sellable_and_tells_the_refund(
    stack: tuple[Stack, str], subscriber: Subscriber
) -> None:
    running, temporal = stack
    with running.client("ops") as ops, running.client() as admin:
        created = ops.post(
            "/subscriptions",
            json={
                "url": f"http://127.0.0.1:{subscriber.port}/events",
                "secret": SECRET,
                "event_types": ["return.authorized", "return.received"],
            },
        )
        assert created.status_code == 201, created.text
        shipped_order(admin, "RET-1")

    with running.client("support") as support:
        asked = {"lines": [
            {"line_id": "1", "quantity": 1, "reason": "changed my mind"},
            {"line_id": "2", "quantity": 2, "reason": "one arrived broken"},
        ], "request_id": "desk-1"}  # fmt: skip
        answer = support.post("/orders/RET-1/returns", json=asked)
        assert answer.status_code == 201, answer.text
        made = answer.json()
        assert (made["return_id"], made["status"]) == ("RET-1-R1", "authorized")
        assert (made["refund_due"], made["currency"]) == ("49.00", "USD")
        location_id = made["location_id"]
        assert support.post("/orders/RET-1/returns", json=asked).status_code == 200  # repeat
        more = support.post(
            "/orders/RET-1/returns",
            json={"lines": [{"line_id": "1", "quantity": 1, "reason": "again"}]},
        )
        assert more.status_code == 409 and "line 1" in more.json()["message"]
        listed = support.get("/orders/RET-1").json()["returns"]
        assert [(r["return_id"], r["status"]) for r in listed] == [("RET-1-R1", "authorized")]
        before = stock_of(support, "SKIN-SERUM")[location_id]["on_hand"]
        cleansers = stock_of(support, "SKIN-CLEANSER")[location_id]["on_hand"]

    report = {"type": "received", "event_id": "dock-77", "lines": [
        {"line_id": "1", "quantity": 1, "condition": "sellable"},
        {"line_id": "2", "quantity": 1, "condition": "sellable"},
        {"line_id": "2", "quantity": 1, "condition": "damaged"},
    ]}  # fmt: skip
    url = f"/locations/{location_id}/returns/RET-1-R1/events"
    other = "CHI-STORE" if location_id != "CHI-STORE" else "PHX-STORE"
    with running.client(f"location:{other}") as stranger:
        refused = stranger.post(f"/locations/{other}/returns/RET-1-R1/events", json=report)
        assert refused.status_code == 404  # another location's return does not exist for it
        assert stranger.get("/returns/RET-1-R1").status_code == 404
    with running.client(f"location:{location_id}") as dock:
        queue = dock.get(f"/locations/{location_id}/returns").json()
        assert [r["return_id"] for r in queue] == ["RET-1-R1"]
        first = dock.post(url, json=report)
        assert first.status_code == 202, first.text
        assert first.json()["duplicate"] is False
        again = dock.post(url, json=report)
        assert again.status_code == 202 and again.json()["duplicate"] is True

    with running.client("support") as support:
        final = wait_return(support, "RET-1-R1", "closed")
        assert final["refund"] == "49.00"
        assert [e["type"] for e in final["events"]] == ["authorized", "received", "closed"]
        assert stock_of(support, "SKIN-SERUM")[location_id]["on_hand"] == before + 1
        assert stock_of(support, "SKIN-CLEANSER")[location_id]["on_hand"] == cleansers + 1
        ledger = support.get(f"/inventory/{location_id}/SKIN-CLEANSER/ledger")
        assert ledger.status_code == 200, ledger.text
        [row] = [r for r in ledger.json()["entries"] if r["kind"] == "return"]
        assert (row["on_hand_delta"], row["reference"]) == (1, "RET-1-R1")
        assert row["actor"].startswith("location:")
        listed = support.get("/orders/RET-1").json()["returns"]
        assert [(r["return_id"], r["status"]) for r in listed] == [("RET-1-R1", "closed")]
        with running.client(f"location:{location_id}") as dock:
            late = dock.post(url, json={**report, "event_id": "dock-78"})
            assert late.status_code == 409, late.text

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not subscriber.of_type("return.received"):
        time.sleep(0.2)
    [received] = {e["id"]: e for e in subscriber.of_type("return.received")}.values()
    assert received["data"]["refund"] == "49.00" and received["data"]["currency"] == "USD"
    assert received["data"]["counts"] == {"sellable": 2, "damaged": 1}
    assert received["data"]["return_id"] == "RET-1-R1"
    assert subscriber.of_type("return.authorized")

    checked = _inventory_check(running, temporal)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _inventory_check(running: Stack, temporal: str) -> subprocess.CompletedProcess[str]:
    """``dom inventory check``, as an operator runs it next to the stack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOM_")}
    return subprocess.run(
        [
            sys.executable, "-m", "starter.cli", "inventory", "check",
            "--data-dir", str(running.data_dir), "--temporal-address", temporal,
            "--recheck", "1",
        ],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
