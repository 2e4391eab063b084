"""How workflows call activities: timeouts and retries, in one place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy

from domain.models import WEBHOOK_TIMEOUT_MAX_SECONDS

# Quick, idempotent calls to the inventory store: retried until they go through.
STORE_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=10)),
}

# Calls to a location's system: a refusal is final, anything else is retried. One try
# outlasts the slowest webhook a location may be configured with, so a slow but working
# location is not cut off mid-answer and called again.
# The call heartbeats every few seconds, so a worker that died mid-call is noticed within
# the heartbeat timeout and the call retried, instead of waiting out the whole try.
HEARTBEAT_EVERY_SECONDS = 2.0
LOCATION_CALL: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=WEBHOOK_TIMEOUT_MAX_SECONDS + 10),
    "heartbeat_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(
        maximum_interval=timedelta(seconds=30), non_retryable_error_types=["LocationRefused"]
    ),
}
