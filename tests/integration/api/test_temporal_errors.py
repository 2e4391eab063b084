"""When Temporal cannot answer, the API says so with a 503 the caller may retry, naming
why, rather than a bare 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from starter.gateway.orders import TemporalBusy, WorkflowUnavailable
from tests.support.fakes import FakeOrderGateway

NONDETERMINISM = "[TMPRL1100] Nondeterminism error: No command scheduled for event TimerStarted"


@pytest.mark.parametrize(
    ("error", "status", "kind", "says", "internal"),
    [
        (WorkflowQueryFailedError(NONDETERMINISM), 503, "QueryFailed", "could not answer",
         "TMPRL1100"),
        (WorkflowUnavailable("order-A-1 did not answer within 10s; is a worker running?"), 503,
         "WorkflowUnavailable", "is a worker running?", None),
        (RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b""), 503,
         "TemporalUnavailable", "Temporal cannot answer now", "connection refused"),
        # A transport error, or a workflow task in failed state (a worker just died): the
        # caller must send it again, so these are 503s too, never a final-looking 500.
        (RPCError("transport error", RPCStatusCode.INTERNAL, b""), 503, "TemporalUnavailable",
         "send it again", "transport error"),
        (RPCError("Unable to perform workflow execution update due to Workflow Task in failed"
                  " state", RPCStatusCode.FAILED_PRECONDITION, b""), 503, "TemporalUnavailable",
         "send it again", "failed state"),
        (TemporalBusy("order-A-1 could not take the request now"), 503, "TemporalBusy",
         "could not take the request", None),
        (RPCError("bad query", RPCStatusCode.INVALID_ARGUMENT, b""), 500, "RPCError",
         "Temporal refused the request", "bad query"),
        (RPCError("grpc: received message larger than max (5000000 vs. 4194304)",
                  RPCStatusCode.RESOURCE_EXHAUSTED, b""), 413, "PayloadTooLarge",
         "shorten its longest fields", "grpc"),
    ],
)  # fmt: skip
def test_temporal_failures_get_a_status_that_says_what_happened_in_plain_words(
    api: TestClient,
    gateway: FakeOrderGateway,
    error: Exception,
    status: int,
    kind: str,
    says: str,
    internal: str | None,
) -> None:
    """The status says what the caller may do; the message says why in plain words and
    never echoes the SDK's text (that goes to the server log)."""
    gateway.failure = error
    response = api.get("/orders/A-1")
    assert response.status_code == status
    body = response.json()
    assert body["error"] == kind and says in body["message"]
    if internal is not None:
        assert internal not in response.text
    if status == 503:
        assert response.headers["Retry-After"] == "5"
