"""A workflow that cannot take a request for a reason that is no business refusal (here:
a workflow of the wrong shape, with no handler for the update) is answered in plain
words: 503, nothing changed, the details in the server log, never the SDK's text.
Real dev server; the worker runs a stand-in registered under the order workflow's name."""

from __future__ import annotations

import asyncio
import uuid

from fastapi.testclient import TestClient
from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from adapters.store import InventoryStore
from starter.app import create_app
from starter.gateway.orders import OrderGateway
from tests.support.keys import ADMIN, TEST_KEYS
from tests.support.stack import api_settings

SDK_WORDS = ("Update handler", "expected but not found", "known updates", "RuntimeError")


@workflow.defn(name="OrderWorkflow")
class NotAnOrder:
    """Same name as the order workflow, none of its updates or queries."""

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


async def test_an_update_the_workflow_has_no_handler_for_is_answered_in_plain_words(
    dev_env: WorkflowEnvironment, task_queue: str, store: InventoryStore
) -> None:
    order_id = f"WS-{uuid.uuid4().hex[:6]}"
    gateway = OrderGateway(
        dev_env.client, task_queue, search_hash_key=TEST_KEYS.search_hash, vault=None
    )
    app = create_app(api_settings(), gateway=gateway, store=store, keys=TEST_KEYS)
    async with Worker(
        dev_env.client,
        task_queue=task_queue,
        workflows=[NotAnOrder],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await dev_env.client.start_workflow(
            "OrderWorkflow", id=f"order-{order_id}", task_queue=task_queue
        )

        def call_the_api() -> list[tuple[int, dict[str, object]]]:
            with TestClient(app, headers=ADMIN) as api:
                event = api.post(
                    f"/locations/SLC-3PL/fulfillments/{order_id}-F1/events",
                    json={"type": "accepted", "event_id": "e1"},
                )
                cancel = api.post(f"/orders/{order_id}/cancel", json={"reason": "test"})
            return [(event.status_code, event.json()), (cancel.status_code, cancel.json())]

        answers = await asyncio.to_thread(call_the_api)
        await handle.terminate()

    for status, body in answers:
        assert status == 503, body
        assert body["error"] == "WorkflowUnavailable"
        message = str(body["message"])
        assert f"order-{order_id} could not take the" in message
        assert "nothing was changed" in message
        assert not any(words in message for words in SDK_WORDS), message
