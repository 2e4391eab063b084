"""Races between a location and an operator, over HTTP against the real stack, many
times each: the answers, the order's final state and the stock must tell one story.

* cancel against ``shipped``: exactly one wins. Either the order is cancelled, the
  package ``cancelled`` and the ``shipped`` event answered 409; or the package shipped
  (tracking, units committed) and the cancel answered 409 naming it. Never both 2xx.
* reroute against ``shipped``: the order never breaks; one of the two is refused.
* a terminated order (no compensation runs) is repaired by operations.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from temporalio.client import Client

from domain.ids import order_workflow_id
from tests.support.builders import order_body
from tests.support.data import E2E
from tests.support.http import wait_for
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e
ROUNDS = 10


@pytest.fixture(scope="module")
def racing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str]]:
    tmp = tmp_path_factory.mktemp("races")
    process, stack = start_stack(tmp, E2E / "network_races.yaml")
    args = [str(a) for a in process.args]  # type: ignore[union-attr]
    yield stack, f"127.0.0.1:{args[args.index('--temporal-port') + 1]}"
    stop_stack(process, stack)


def stock(http: httpx.Client) -> dict[str, tuple[int, int]]:
    rows = http.get("/inventory/MUG").json()["locations"]
    return {r["location_id"]: (r["on_hand"], r["reserved"]) for r in rows}


def packed_order(http: httpx.Client, order_id: str) -> dict:
    assert http.post("/orders", json=order_body(order_id, skus=["MUG"])).status_code == 202
    order = wait_for(http, order_id, lambda o: o["status"] == "fulfilling", "fulfilling")
    [package] = order["fulfillments"]
    url = f"/locations/{package['location_id']}/fulfillments/{package['fulfillment_id']}/events"
    for step in ("accepted", "picked", "packed"):
        assert http.post(url, json={"type": step}).status_code == 202
    return package


Call = tuple[str, str, dict[str, object]]


def race(stack: Stack, ship: Call, operator: Call, *, ship_first: bool) -> list[httpx.Response]:
    """[the ship answer, the operator's answer], the two sent at the same moment (which
    one leaves first alternates between rounds)."""
    calls = [ship, operator] if ship_first else [operator, ship]
    answers = at_once(stack, *calls)
    return answers if ship_first else answers[::-1]


def at_once(stack: Stack, *calls: Call) -> list[httpx.Response]:
    """Send each (method, path, body) from its own client at the same moment."""
    clients = [stack.client() for _ in calls]
    try:
        with ThreadPoolExecutor(len(calls)) as pool:
            futures = [
                pool.submit(client.request, method, path, json=body)
                for client, (method, path, body) in zip(clients, calls, strict=True)
            ]
            return [f.result() for f in futures]
    finally:
        for client in clients:
            client.close()


def wait_for_search(http: httpx.Client, status: str, order_id: str) -> dict:
    """The order as ``GET /orders?status=`` lists it (visibility lags about a second)."""
    for _ in range(50):
        for found in http.get("/orders", params={"status": status}).json():
            if found["order_id"] == order_id:
                return found
        time.sleep(0.2)
    raise AssertionError(f"{order_id} never listed as {status}")


def settled(http: httpx.Client, order_id: str) -> dict:
    return wait_for(
        http,
        order_id,
        lambda o: o["status"] in ("shipped", "cancelled", "failed") and not o["pending"],
        "settled",
    )


def test_cancel_racing_shipped_has_exactly_one_winner(racing: tuple[Stack, str]) -> None:
    stack, _ = racing
    outcomes = []
    with stack.client() as http:
        for n in range(ROUNDS):
            order_id = f"RC-{n}"
            package = packed_order(http, order_id)
            where, fid = package["location_id"], package["fulfillment_id"]
            before = stock(http)[where]
            ship = {"type": "shipped", "carrier": "UPS", "tracking_number": f"1ZRC{n:04d}"}
            cancel = {"reason": "customer changed mind"}
            shipped, cancelled = race(
                stack,
                ("POST", f"/locations/{where}/fulfillments/{fid}/events", ship),
                ("POST", f"/orders/{order_id}/cancel", cancel),
                ship_first=bool(n % 2),
            )
            final = settled(http, order_id)
            after = stock(http)[where]
            assert sorted([shipped.status_code, cancelled.status_code]) in ([200, 409], [202, 409])
            if final["status"] == "shipped":
                assert shipped.status_code == 202 and cancelled.status_code == 409
                assert f"1ZRC{n:04d}" in cancelled.json()["message"]
                assert final["fulfillments"][0]["status"] == "shipped"
                assert after == (before[0] - 1, before[1] - 1)  # the unit left
            else:
                assert final["status"] == "cancelled"
                assert cancelled.status_code == 200 and shipped.status_code == 409
                assert final["fulfillments"][0]["status"] == "cancelled"
                assert final["fulfillments"][0]["tracking_number"] is None
                assert after == (before[0], before[1] - 1)  # back on the shelf
            outcomes.append(final["status"])
    assert set(outcomes) <= {"shipped", "cancelled"}


def test_reroute_racing_shipped_never_breaks_the_order(racing: tuple[Stack, str]) -> None:
    stack, _ = racing
    with stack.client() as http:
        for n in range(ROUNDS):
            order_id = f"RR-{n}"
            package = packed_order(http, order_id)
            where, fid = package["location_id"], package["fulfillment_id"]
            ship = {"type": "shipped", "carrier": "UPS", "tracking_number": f"1ZRR{n:04d}"}
            reroute = {"exclude_location_ids": [where], "reason": "dock closed"}
            shipped, rerouted = race(
                stack,
                ("POST", f"/locations/{where}/fulfillments/{fid}/events", ship),
                ("POST", f"/orders/{order_id}/reroute", reroute),
                ship_first=bool(n % 2),
            )
            assert 500 not in (shipped.status_code, rerouted.status_code)
            if rerouted.status_code == 200:
                assert shipped.status_code == 409
                [moved] = rerouted.json()["fulfillments"]
                assert moved["location_id"] != where
                url = (
                    f"/locations/{moved['location_id']}/fulfillments/"
                    f"{moved['fulfillment_id']}/events"
                )
                for step in ("accepted", "shipped"):
                    assert http.post(url, json={"type": step}).status_code == 202
            else:
                assert rerouted.status_code == 409 and shipped.status_code == 202
            final = settled(http, order_id)
            assert final["status"] == "shipped", final
            shipped_packages = [f for f in final["fulfillments"] if f["status"] == "shipped"]
            assert len(shipped_packages) == 1
    with stack.client() as http:
        assert all(reserved == 0 for _, reserved in stock(http).values())


def test_a_terminated_order_is_repaired_by_operations(racing: tuple[Stack, str]) -> None:
    stack, temporal = racing
    with stack.client() as http:
        package = packed_order(http, "RT-1")
        refused = http.post("/orders/RT-1/release-held-stock")
        assert refused.status_code == 409 and "cancel it instead" in refused.json()["message"]

        async def terminate() -> None:
            client = await Client.connect(temporal)
            await client.get_workflow_handle(order_workflow_id("RT-1")).terminate("ops reflex")

        asyncio.run(terminate())
        # Terminate runs no code: the unit stays reserved until the repair, and the order
        # does not pretend to be fulfilling: it reads failed, naming the repair.
        assert stock(http)[package["location_id"]][1] == 1
        shown = http.get("/orders/RT-1").json()
        assert shown["status"] == "failed" and "release-held-stock" in shown["reason"]
        found = wait_for_search(http, "failed", "RT-1")
        assert found["status"] == "failed"
        assert "RT-1" not in [o["order_id"] for o in http.get("/orders?status=fulfilling").json()]
        repaired = http.post("/orders/RT-1/release-held-stock")
        assert repaired.status_code == 200, repaired.text
        expected = {"order_id": "RT-1", "workflow": "terminated", "released_units": 1}
        assert repaired.json() == expected
        assert stock(http)[package["location_id"]][1] == 0
        again = http.post("/orders/RT-1/release-held-stock")
        assert again.json()["released_units"] == 0
        ledger = http.get(f"/inventory/{package['location_id']}/MUG/ledger")
        assert ledger.status_code == 200
        repair = ledger.json()["entries"][0]  # newest first
        assert repair["kind"] == "release" and repair["reserved_delta"] == -1
        assert "terminated in Temporal" in repair["reason"]


def test_event_ids_mean_one_thing_even_after_the_order_closed(racing: tuple[Stack, str]) -> None:
    stack, _ = racing
    with stack.client() as http:
        package = packed_order(http, "RE-1")
        url = f"/locations/{package['location_id']}/fulfillments/{package['fulfillment_id']}/events"
        shipped = {"type": "shipped", "event_id": "wms-77", "tracking_number": "1ZRE1"}
        first = http.post(url, json=shipped)
        assert first.status_code == 202 and first.json()["duplicate"] is False
        settled(http, "RE-1")
        again = http.post(url, json=shipped)  # the WMS retries after the order closed
        assert again.status_code == 202, again.text
        assert again.json()["duplicate"] is True and again.json()["status"] == "shipped"
        reused = http.post(url, json={"type": "picked", "event_id": "wms-77"})
        assert reused.status_code == 409
        assert "already used for 'shipped'" in reused.json()["message"]
        late = http.post(url, json={"type": "picked", "event_id": "wms-78"})
        assert late.status_code == 409 and "closed" in late.json()["message"]


def test_an_order_id_shaped_like_a_package_id_is_just_another_order(
    racing: tuple[Stack, str],
) -> None:
    """Package ids live inside their order's workflow, so ``ZZ-F1`` (an order) and
    ``ZZ``'s first package (``ZZ-F1`` too, as a fulfillment) never meet."""
    stack, _ = racing
    with stack.client() as http:
        first = packed_order(http, "ZZ-F1")
        second = packed_order(http, "ZZ")
        assert first["fulfillment_id"] == "ZZ-F1-F1" and second["fulfillment_id"] == "ZZ-F1"
        for package, tracking in ((first, "1ZZZ1"), (second, "1ZZZ2")):
            url = (
                f"/locations/{package['location_id']}/fulfillments/"
                f"{package['fulfillment_id']}/events"
            )
            shipped = {"type": "shipped", "tracking_number": tracking}
            assert http.post(url, json=shipped).status_code == 202
        assert settled(http, "ZZ-F1")["fulfillments"][0]["tracking_number"] == "1ZZZ1"
        assert settled(http, "ZZ")["fulfillments"][0]["tracking_number"] == "1ZZZ2"
        missing = http.get("/orders/1001-F1")
        assert missing.status_code == 404 and "no order" in missing.json()["message"]
    with stack.client() as http:
        assert all(reserved == 0 for _, reserved in stock(http).values())


def test_a_long_poll_answers_when_the_order_ends(racing: tuple[Stack, str]) -> None:
    """``GET /orders/{id}?wait=S``: one request for the outcome instead of polling."""
    stack, _ = racing
    with stack.client() as http:
        package = packed_order(http, "LP-1")
        open_now = http.get("/orders/LP-1", params={"wait": 0.5})
        assert open_now.status_code == 200 and open_now.json()["status"] == "fulfilling"
        url = f"/locations/{package['location_id']}/fulfillments/{package['fulfillment_id']}/events"
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(http.get, "/orders/LP-1", params={"wait": 20})
            shipped = {"type": "shipped", "tracking_number": "1ZLP1"}
            with stack.client() as location:
                assert location.post(url, json=shipped).status_code == 202
            answer = waiting.result(timeout=30)
        assert answer.status_code == 200
        final = answer.json()
        assert final["status"] == "shipped"
        assert final["fulfillments"][0]["tracking_number"] == "1ZLP1"
        assert final["routing"]["status"] == "routed" and final["events"][-1]["type"] == "shipped"
        assert http.get("/orders/NOPE-1", params={"wait": 1}).status_code == 404
