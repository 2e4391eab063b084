"""Issue 24: a Temporal that does not answer (a partition: the connection stays up, nothing
refuses, every call hangs) is a 503 with Retry-After within seconds, never a checkout left
waiting; /health names it; once the link heals, the checkout's retry is answered as the
same order (nothing lost, nothing doubled). Real dev server behind a relay of the test's
own that stops forwarding without closing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from temporalio.testing import WorkflowEnvironment

from starter.app import create_app
from starter.bootstrap.keys import personal_vault
from starter.bootstrap.temporal import connect, ensure_search_attributes
from starter.gateway.orders import START_RPC_TIMEOUT, OrderGateway
from tests.support.builders import order_body
from tests.support.data import TEXTBOOK
from tests.support.fakes import FakeInventory
from tests.support.keys import ADMIN, TEST_KEYS
from tests.support.stack import api_settings, store_holding
from tests.support.tcp import Relay
from tests.support.workflows import fake_worker


def _timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


async def test_a_partitioned_temporal_is_a_503_within_seconds_and_loses_nothing(
    dev_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    host, port = dev_env.client.service_client.config.target_host.rsplit(":", 1)
    relay = Relay((host, int(port)))
    relay.restore()
    client = await connect(f"127.0.0.1:{relay.port}", keys=TEST_KEYS.encryption)
    await ensure_search_attributes(client)
    promised = START_RPC_TIMEOUT.total_seconds() + 2

    with store_holding(TEXTBOOK, f"sqlite:///{tmp_path / 'store.db'}") as store:
        gateway = OrderGateway(
            client,
            task_queue,
            search_hash_key=TEST_KEYS.search_hash,
            vault=personal_vault(store, TEST_KEYS),
        )
        app = create_app(api_settings(), gateway=gateway, store=store, keys=TEST_KEYS)

        def scenario() -> None:
            with TestClient(app, headers=ADMIN) as api:
                assert api.post("/orders", json=order_body("PT-1")).status_code == 202
                relay.hold()
                try:
                    placed, took = _timed(lambda: api.post("/orders", json=order_body("PT-2")))
                    assert placed.status_code == 503, placed.text
                    assert placed.headers["Retry-After"]
                    assert took < promised, took
                    health, took = _timed(lambda: api.get("/health"))
                    assert health.status_code == 503 and took < 5, took
                    body = health.json()
                    assert (body["temporal"], body["database"]) == ("unavailable", "ok")
                    found, took = _timed(lambda: api.get("/orders", params={"q": "PT-1"}))
                    assert found.status_code == 503 and took < 12, took
                finally:
                    relay.release()
                # The checkout retries: the same order, once (its first try may have landed
                # after the link healed: then this is the harmless repeat, 200).
                again = api.post("/orders", json=order_body("PT-2"))
                assert again.status_code in (200, 202), again.text
                assert api.get("/health").status_code == 200

        # A worker on the server's own link (only the API's is cut): a repeat's answer
        # reads the order's status from it.
        async with fake_worker(dev_env, task_queue, FakeInventory(["SLC-3PL"])):
            await asyncio.to_thread(scenario)
    started = [e.id async for e in dev_env.client.list_workflows(f"TaskQueue = '{task_queue}'")]
    assert sorted(started) == ["order-PT-1", "order-PT-2"]
