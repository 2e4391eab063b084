"""How workflows call activities: timeouts and retries, in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

from activities.limits import EVENT_DELIVERY_ATTEMPTS
from domain.models import WEBHOOK_TIMEOUT_MAX_SECONDS

A = TypeVar("A")
R = TypeVar("R")

# Quick, idempotent calls to the inventory store: retried until they go through.
STORE_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=10)),
}

# Calls to a location's system: a refusal is final, anything else is retried. One try
# outlasts the slowest webhook a location may be configured with, so a slow but working
# location is not cut off mid-answer and called again.
# The call heartbeats every few seconds (``activities.limits``), so a worker that died
# mid-call is noticed within the heartbeat timeout and the call retried.
LOCATION_CALL: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=WEBHOOK_TIMEOUT_MAX_SECONDS + 10),
    "heartbeat_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(
        maximum_interval=timedelta(seconds=30), non_retryable_error_types=["LocationRefused"]
    ),
}

# Telling subscribers about an order's events: at least once, retried with backoff for
# about half an hour (1 s, 2 s, 4 s ... capped at 5 min; 12 tries), then given up and
# shown as failed in the subscription's deliveries. One try waits out one slow receiver.
EVENT_DELIVERY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=60),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=5),
        maximum_attempts=EVENT_DELIVERY_ATTEMPTS,
    ),
}


async def store_call(local: bool, activity: Callable[[Any, A], R], arg: A, **options: Any) -> R:
    """Reserve or commit: a local activity (``local``: run by this worker inside the
    workflow task, recorded as one marker), or a plain activity in histories from before.

    Both are quick idempotent writes to the store (keyed by allocation key, by
    fulfillment), so a worker that dies mid-call just runs them again. As local
    activities they spare each order two activity tasks and two workflow tasks on the
    Temporal server (docs/performance.md). Which one is the order's to say, fixed at its
    start (``NewOrder.store_calls``): orders started before keep theirs."""
    if local:
        return await workflow.execute_local_activity_method(activity, arg, **options)
    return await workflow.execute_activity_method(activity, arg, **options)
