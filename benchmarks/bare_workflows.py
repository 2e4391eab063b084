"""The throughput benchmark's bare phases: the least a workflow of the stack's shape costs.

Two no-op workflows and their worker, run in a process of its own by ``throughput.py
--bare-worker`` with the stack's worker settings (sandbox, data converter, activity
thread pool): ``BareOrder`` (three activities, three signals) and ``BareShapedOrder``
(the same activities, the package's four location events as updates sent from the
worker process, as the stack's simulator sends them).

The sandbox re-imports this module for every bare workflow it runs, as it re-imports
workflows/order.py for the stack's: it imports only the standard library and temporalio
(passed through), so that costs no more than theirs does.
"""

from __future__ import annotations

import asyncio
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

if TYPE_CHECKING:
    from temporalio.client import Client

BARE_TASK_QUEUE = "switchyard-benchmark-bare"


# --- the bare workflow: three activities, three signals ---------------------------------


@activity.defn(name="bare_allocate")
def bare_allocate(order_id: str) -> None:
    """Stands in for ``allocate`` (a plain function, run in the activity thread pool)."""


@activity.defn(name="bare_dispatch")
async def bare_dispatch(order_id: str) -> None:
    """Stands in for ``dispatch_fulfillment`` (a coroutine)."""


@activity.defn(name="bare_commit")
def bare_commit(order_id: str) -> None:
    """Stands in for ``commit_shipment`` (a plain function, run in the activity thread pool)."""


BARE_SIGNALS = ("accepted", "packed", "shipped")
_TIMEOUT = timedelta(seconds=30)
_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=10))


@workflow.defn(name="BareOrder")
class BareOrder:
    """Allocate, dispatch, hear three events from the location, commit: and nothing else."""

    def __init__(self) -> None:
        self._events = 0

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(
            bare_allocate, order_id, start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY
        )
        await workflow.execute_activity(
            bare_dispatch, order_id, start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY
        )
        await workflow.wait_condition(lambda: self._events >= len(BARE_SIGNALS))
        await workflow.execute_activity(
            bare_commit, order_id, start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY
        )
        return "shipped"

    @workflow.signal
    def location_event(self, event: str) -> None:
        self._events += 1


# --- the stack's shape without the stack (--shaped) -------------------------------------
# The same no-op activities in the stack's shape: one workflow per order, its package
# inside it, hearing four updates sent from the worker process, as the stack's order hears
# the simulator. Between bare and stack, it tells what the shape costs on Temporal from
# what our code does.

PACKAGE_EVENTS = ("accepted", "picked", "packed", "shipped")
_worker_client: Client | None = None  # set in the bare worker process, for the updates
_playing: set[asyncio.Task[None]] = set()


@activity.defn(name="shaped_dispatch")
async def shaped_dispatch(order_workflow_id: str) -> None:
    """Like the simulated location: start reporting the package's events, return at once."""
    task = asyncio.get_running_loop().create_task(_report_events(order_workflow_id))
    _playing.add(task)
    task.add_done_callback(_playing.discard)


async def _report_events(order_workflow_id: str) -> None:
    assert _worker_client is not None
    handle = _worker_client.get_workflow_handle(order_workflow_id)
    for event in PACKAGE_EVENTS:
        await handle.execute_update(
            BareShapedOrder.location_event, event, id=f"{order_workflow_id}:{event}"
        )


@workflow.defn(name="BareShapedOrder")
class BareShapedOrder:
    """Allocate, dispatch, four location events as updates, commit: the stack's shape."""

    def __init__(self) -> None:
        self._events = 0

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(
            bare_allocate, order_id, start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY
        )
        await workflow.execute_activity(
            shaped_dispatch,
            workflow.info().workflow_id,
            start_to_close_timeout=_TIMEOUT,
            retry_policy=_RETRY,
        )
        await workflow.wait_condition(lambda: self._events >= len(PACKAGE_EVENTS))
        await workflow.execute_activity(
            bare_commit, order_id, start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY
        )
        return "shipped"

    @workflow.update
    def location_event(self, event: str) -> str:
        self._events += 1
        return event


async def run_bare_worker(address: str, ready_file: Path) -> None:
    """The bare phases' worker process: the stack's worker settings, the bare workflows."""
    from temporalio.worker import Worker

    from starter.bootstrap.keys import load_keys
    from starter.bootstrap.settings import Settings
    from starter.bootstrap.temporal import connect
    from workflows.runner import workflow_runner

    global _worker_client
    settings = Settings()
    keys = load_keys(settings).encryption  # the run's, from the driver's environment
    client = _worker_client = await connect(address, settings.temporal_namespace, keys=keys)
    worker = Worker(
        client,
        task_queue=BARE_TASK_QUEUE,
        workflows=[BareOrder, BareShapedOrder],
        activities=[bare_allocate, bare_dispatch, bare_commit, shaped_dispatch],
        activity_executor=ThreadPoolExecutor(max_workers=settings.max_concurrent_activities),
        max_concurrent_activities=settings.max_concurrent_activities,
        workflow_runner=workflow_runner(),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        os.close(os.open(ready_file, os.O_CREAT | os.O_WRONLY))  # tells the driver we poll
        await stop.wait()
