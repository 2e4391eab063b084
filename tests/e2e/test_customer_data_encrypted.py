"""Issue 12 item 4's acceptance test: an order placed through the real stack leaves no
customer name, e-mail or street in Temporal, read raw from the server without the keys;
the API's codec endpoint (the one the embedded UI is pointed at) decodes it, and even
then the customer stays sealed under their own key (issue 21)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from starter.bootstrap.dev_server import UI_PORT_OFFSET
from starter.bootstrap.keys import ENCRYPTION_KEYS_FILE, SEARCH_HASH_KEY_FILE
from tests.support.data import E2E
from tests.support.http import play_location, wait_for
from tests.support.payloads import clear_payloads, raw_bytes
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

EMAIL = "zebulon.quaxley@example.org"
ORDER = {
    "order_id": "ENC-1",
    "customer": {"name": "Zebulon Quaxley", "email": EMAIL},
    "ship_to": {
        "postal_code": "80202",
        "name": "Zebulon Quaxley",
        "address1": "4711 Quillfeather Lane",
        "city": "Denver",
        "region": "CO",
    },
    "lines": [{"line_id": "1", "sku": "SKIN-SERUM", "quantity": 1}],
}
# What must never be readable in Temporal (the order model has no phone number).
PERSONAL = [b"Zebulon", b"Quaxley", EMAIL.encode(), b"Quillfeather"]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, list[HistoryEvent]]]:
    """The stack with ENC-1 placed and shipped, and ENC-1's history as the server has it."""
    process, stack = start_stack(tmp_path_factory.mktemp("encrypted"), E2E / "network.yaml")
    try:
        with stack.client() as http:
            assert http.post("/orders", json=ORDER).status_code == 202
            order = wait_for(http, "ENC-1", lambda o: o["fulfillments"], "dispatched")
            [package] = order["fulfillments"]
            play_location(http, package["location_id"], package["fulfillment_id"], "1ZENC1")
            wait_for(http, "ENC-1", lambda o: o["status"] == "shipped", "shipped")
        yield stack, asyncio.run(_raw_history(stack))
    finally:
        stop_stack(process, stack)


async def _raw_history(stack: Stack) -> list[HistoryEvent]:
    """Read with a client that has no codec and no keys: what an operator of the Temporal
    cluster, its database or its backups can read."""
    ui_port = int(stack.ui_url.rsplit(":", 1)[1])
    client = await Client.connect(f"127.0.0.1:{ui_port - UI_PORT_OFFSET}")
    history = await client.get_workflow_handle("order-ENC-1").fetch_history()
    return list(history.events)


def test_the_raw_history_holds_no_customer_data(shipped: tuple[Stack, list[HistoryEvent]]) -> None:
    _, events = shipped
    raw = raw_bytes(events)
    for personal in PERSONAL:
        assert personal not in raw, personal
        assert base64.b64encode(personal) not in raw, personal
    assert clear_payloads(events) == []  # every payload sealed, search attributes aside


def test_the_email_search_attribute_is_a_keyed_hash(
    shipped: tuple[Stack, list[HistoryEvent]],
) -> None:
    stack, events = shipped
    started = events[0].workflow_execution_started_event_attributes
    stored = started.search_attributes.indexed_fields["CustomerEmailHash"].data
    assert hashlib.sha256(EMAIL.encode()).hexdigest().encode() not in stored
    assert EMAIL.encode() not in stored
    with stack.client() as http:  # and support still finds the order by the address
        deadline = time.monotonic() + 15
        while True:
            found = http.get("/orders", params={"customer_email": "Zebulon.Quaxley@Example.org"})
            assert found.status_code == 200, found.text
            if [o["order_id"] for o in found.json()] == ["ENC-1"]:
                break
            assert time.monotonic() < deadline, found.json()
            time.sleep(0.3)


def test_the_codec_endpoint_decodes_the_history_for_the_ui(
    shipped: tuple[Stack, list[HistoryEvent]],
) -> None:
    stack, events = shipped
    [started] = [
        e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    ]
    sealed = started.workflow_execution_started_event_attributes.input.payloads
    body = {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                "data": base64.b64encode(p.data).decode(),
            }
            for p in sealed
        ]
    }
    # As a UI calls it: from its origin, with its namespace header; anonymously it gets
    # a refusal it can read (CORS) and no plaintext, with support's token the order.
    headers = {"Origin": stack.ui_url, "X-Namespace": "default"}
    anonymous = httpx.post(f"{stack.api_url}/codec/decode", json=body, headers=headers)
    assert anonymous.status_code == 401
    assert anonymous.headers["access-control-allow-origin"] == stack.ui_url
    assert "Zebulon" not in anonymous.text
    headers["Authorization"] = f"Bearer {stack.token('support')}"
    response = httpx.post(f"{stack.api_url}/codec/decode", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == stack.ui_url
    [opened] = response.json()["payloads"]
    order = base64.b64decode(opened["data"])
    # The order opens (its id, its lines); its customer stays sealed under their own key
    # (tests/e2e/test_customer_erasure.py): the UI shows who only through the API.
    assert b"ENC-1" in order and b"SKIN-SERUM" in order
    assert b"Zebulon" not in order and b"Quillfeather" not in order
    assert b'"personal"' in order


def test_the_embedded_ui_is_pointed_at_the_codec_endpoint(
    shipped: tuple[Stack, list[HistoryEvent]],
) -> None:
    stack, _ = shipped
    settings = httpx.get(f"{stack.ui_url}/api/v1/settings", timeout=10)
    assert settings.status_code == 200, settings.text
    assert settings.json()["Codec"]["Endpoint"] == f"{stack.api_url}/codec"


def test_dom_up_keeps_its_keys_private_and_out_of_its_log(
    shipped: tuple[Stack, list[HistoryEvent]],
) -> None:
    stack, _ = shipped
    for name in (ENCRYPTION_KEYS_FILE, SEARCH_HASH_KEY_FILE):
        path: Path = stack.data_dir / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        material = [line.partition(":")[2] or line for line in _lines(path)]
        log = stack.log.read_text()
        assert all(secret not in log for secret in material), name


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line and line[0] != "#"]


def test_the_store_file_holds_no_customer_data(
    shipped: tuple[Stack, list[HistoryEvent]],
) -> None:
    """Issue 21: the store kept the ship-to in clear in ``allocations.decision_json``."""
    stack, _ = shipped
    files = sorted(stack.data_dir.glob("switchyard.db*"))
    assert files and files[0].name == "switchyard.db"
    for path in files:
        data = path.read_bytes()
        for personal in PERSONAL:
            assert personal not in data, (path.name, personal)


def test_dom_up_keeps_its_databases_private(shipped: tuple[Stack, list[HistoryEvent]]) -> None:
    stack, _ = shipped
    temporal = stack.data_dir / "temporal"
    for folder in (stack.data_dir, temporal):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    databases = [*stack.data_dir.glob("switchyard.db*"), *temporal.glob("temporal.db*")]
    assert {p.name for p in databases} >= {"switchyard.db", "temporal.db"}
    for path in databases:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
