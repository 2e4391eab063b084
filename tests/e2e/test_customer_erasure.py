"""Issue 21 item 3's acceptance test: ``POST /customers/erase`` on the real stack.

Before: the store file holds no customer name, e-mail or street (they travel sealed under
the customer's own key); the API and the console show them. After: nothing in
Switchyard can show them (the API, the console, the location's queue, search, the store's
files, and the order's history read *with* the payload keys), while the orders keep their
lines and statuses, and another customer's order is untouched."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from adapters.encryption import EncryptionCodec, KeyRing
from starter.bootstrap.dev_server import UI_PORT_OFFSET
from starter.bootstrap.keys import ENCRYPTION_KEYS_FILE
from starter.bootstrap.temporal import connect
from tests.support.data import E2E
from tests.support.http import play_location, wait_for
from tests.support.payloads import payloads
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

EMAIL = "Philippa.Vantongeren@Example.org"
PERSONAL = ["Philippa", "Vantongeren", "philippa.vantongeren@example.org", "Marrowbone"]
OTHER = "Oswin Gallowglass"


def _order(order_id: str, name: str, email: str, street: str) -> dict[str, object]:
    return {
        "order_id": order_id,
        "customer": {"name": name, "email": email},
        "ship_to": {
            "postal_code": "80202",
            "name": name,
            "address1": street,
            "city": "Denver",
            "region": "CO",
        },
        "lines": [{"line_id": "1", "sku": "SKIN-SERUM", "quantity": 1, "unit_price": "24.00"}],
    }


@dataclass
class Placed:
    stack: Stack
    store_before: bytes  # the store's files once the orders were placed


@pytest.fixture(scope="module")
def placed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Placed]:
    """ERA-1 shipped and ERA-2 open for the customer; ERA-3 another customer's."""
    process, stack = start_stack(tmp_path_factory.mktemp("erasure"), E2E / "network.yaml")
    try:
        with stack.client() as http:
            mine = _order("ERA-1", "Philippa Vantongeren", EMAIL, "12 Marrowbone Court")
            assert http.post("/orders", json=mine).status_code == 202
            order = wait_for(http, "ERA-1", lambda o: o["fulfillments"], "dispatched")
            [package] = order["fulfillments"]
            play_location(http, package["location_id"], package["fulfillment_id"], "1ZERA1")
            wait_for(http, "ERA-1", lambda o: o["status"] == "shipped", "shipped")
            again = _order("ERA-2", "Philippa Vantongeren", EMAIL.lower(), "12 Marrowbone Court")
            assert http.post("/orders", json=again).status_code == 202
            other = _order("ERA-3", OTHER, "oswin@example.org", "9 Threadneedle Row")
            assert http.post("/orders", json=other).status_code == 202
            for order_id in ("ERA-2", "ERA-3"):
                wait_for(http, order_id, lambda o: o["fulfillments"], "dispatched")
        yield Placed(stack, _store_files(stack.data_dir))
    finally:
        stop_stack(process, stack)


def _store_files(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("switchyard.db*")))


def _absent(text: str | bytes, what: str) -> None:
    haystack = text.lower() if isinstance(text, str) else text.lower().decode("latin-1")
    for personal in PERSONAL:
        assert personal.lower() not in haystack, f"{personal!r} in {what}"


def test_the_store_never_holds_the_customer_in_clear(placed: Placed) -> None:
    _absent(placed.store_before, "the store's files")
    assert b"Threadneedle" not in placed.store_before


def test_before_erasure_the_api_console_and_queue_show_the_customer(placed: Placed) -> None:
    with placed.stack.client() as http:
        order = http.get("/orders/ERA-2").json()
        assert order["customer"] == {
            "name": "Philippa Vantongeren",
            "email": "philippa.vantongeren@example.org",
        }
        assert order["ship_to"]["address1"] == "12 Marrowbone Court"
        assert order["fulfillments"][0]["ship_to"]["address1"] == "12 Marrowbone Court"
        assert "personal" not in order
        location = order["fulfillments"][0]["location_id"]
        queue = http.get(f"/locations/{location}/fulfillments", params={"status": "open"}).json()
        assert "Philippa Vantongeren" in [e["recipient"] for e in queue]
    page = _console_page(placed.stack, "ERA-2")
    assert "Philippa Vantongeren" in page and "12 Marrowbone Court" in page
    assert "Subtotal" in page and "24.00 USD" in page


def _search(http: httpx.Client, **params: str) -> list[dict[str, object]]:
    """``GET /orders`` until visibility has caught up with what was just placed (10 s)."""
    deadline = time.monotonic() + 10
    while True:
        found = http.get("/orders", params=params)
        assert found.status_code == 200, found.text
        if found.json() or time.monotonic() > deadline:
            return list(found.json())
        time.sleep(0.3)


def test_support_finds_orders_by_part_of_a_name_or_e_mail_and_by_id_in_any_case(
    placed: Placed,
) -> None:
    with placed.stack.client("support") as http:
        by_name = _search(http, q="vantong")
        assert sorted(o["order_id"] for o in by_name) == ["ERA-1", "ERA-2"]
        assert by_name[0]["customer"]["name"] == "Philippa Vantongeren"
        assert [o["order_id"] for o in _search(http, q="GALLOWGLASS")] == ["ERA-3"]
        assert [o["order_id"] for o in _search(http, q="oswin@exam")] == ["ERA-3"]
        assert [o["order_id"] for o in _search(http, q="era-3")] == ["ERA-3"]
        # Pieces of the name in another order ("glass gallow") are no match: the blind
        # index finds candidates, what opens decides.
        assert http.get("/orders", params={"q": "glassgallow"}).json() == []
        assert http.get("/orders", params={"q": "zz"}).json() == []
    cookies = {"sy_console": placed.stack.token("support")}
    with httpx.Client(base_url=placed.stack.api_url, cookies=cookies, timeout=30) as console:
        page = console.get("/console/orders", params={"q": "era-3"}).text
        assert 'href="/console/orders/ERA-3"' in page and OTHER in page


def test_erasure_waits_for_open_orders_then_forgets_the_customer(placed: Placed) -> None:
    stack = placed.stack
    with stack.client() as http:
        refused = http.post("/customers/erase", json={"email": EMAIL})
        assert refused.status_code == 409, refused.text
        assert "ERA-2" in refused.json()["message"]
        assert http.get("/orders/ERA-2").json()["customer"] is not None  # nothing erased

        with stack.client("support") as support:
            assert support.post("/customers/erase", json={"email": EMAIL}).status_code == 403
        cancel = http.post("/orders/ERA-2/cancel", json={"reason": "customer asked"})
        assert cancel.status_code == 200, cancel.text
        wait_for(http, "ERA-2", lambda o: o["status"] == "cancelled" and not o["pending"], "freed")
        ledger_before = http.get("/inventory/SKIN-SERUM").json()

        erased = http.post("/customers/erase", json={"email": f"  {EMAIL.upper()} "})
        assert erased.status_code == 200, erased.text
        assert erased.json() == {
            "erased": True,
            "orders": ["ERA-1", "ERA-2"],
            "not_erasable": [],
            "ledger_touched": False,
        }
        again = http.post("/customers/erase", json={"email": EMAIL})
        assert again.status_code == 200 and again.json()["erased"] is False
        assert http.get("/inventory/SKIN-SERUM").json() == ledger_before

        for order_id, status in (("ERA-1", "shipped"), ("ERA-2", "cancelled")):
            answer = http.get(f"/orders/{order_id}")
            _absent(answer.text, f"GET /orders/{order_id}")
            order = answer.json()
            assert order["customer"] is None and order["customer_erased"] is True
            assert order["status"] == status
            assert order["lines"] == [
                {"line_id": "1", "sku": "SKIN-SERUM", "quantity": 1, "unit_price": "24.00"}
            ]
            assert (order["subtotal"], order["currency"]) == ("24.00", "USD")  # money stays
            assert order["ship_to"]["postal_code"] == "80202"
            _absent(_console_page(stack, order_id), f"the console's {order_id}")
        found = http.get("/orders", params={"customer_email": EMAIL})
        assert found.status_code == 200 and found.json() == []
        assert http.get("/orders", params={"q": "vantong"}).json() == []
        assert [o["order_id"] for o in _search(http, q="era-1")] == ["ERA-1"]
        assert _search(http, q="era-1")[0]["customer_erased"] is True
        # Another customer's order is untouched.
        assert http.get("/orders/ERA-3").json()["customer"]["name"] == OTHER

    _absent(_store_files(stack.data_dir), "the store's files after erasure")
    history = asyncio.run(_decoded_history(stack, "order-ERA-1"))
    _absent(history, "ERA-1's history read with the payload keys")
    assert b"SKIN-SERUM" in history  # the codec did open it: only the customer is gone


def _console_page(stack: Stack, order_id: str) -> str:
    cookies = {"sy_console": stack.token("support")}
    with httpx.Client(base_url=stack.api_url, cookies=cookies, timeout=30) as console:
        deadline = time.monotonic() + 10
        while True:
            page = console.get(f"/console/orders/{order_id}")
            if page.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert page.status_code == 200, page.text
    return page.text


async def _decoded_history(stack: Stack, workflow_id: str) -> bytes:
    """Every payload of the history, opened with the stack's own payload keys (what an
    operator with the keys, the Temporal UI with the codec, or a backup can show)."""
    ring = KeyRing.parse((stack.data_dir / ENCRYPTION_KEYS_FILE).read_text())
    ui_port = int(stack.ui_url.rsplit(":", 1)[1])
    client = await connect(f"127.0.0.1:{ui_port - UI_PORT_OFFSET}", keys=ring)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    codec = EncryptionCodec(ring)
    opened = [
        codec.open(payload).SerializeToString()
        for event in history.events
        for _, payload in payloads(event)
    ]
    return b"".join(opened)
