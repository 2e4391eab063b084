"""When Temporal cannot answer, the API says so with a 503 the caller may retry, naming
why, rather than a bare 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from adapters.order_gateway import TemporalBusy, WorkflowUnavailable
from tests.integration.api.conftest import FakeGateway


class SilentTemporal(FakeGateway):
    """A gateway whose every read fails the way ``error`` says."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def get_order(self, order_id: str) -> None:
        raise self.error


NONDETERMINISM = "[TMPRL1100] Nondeterminism error: No command scheduled for event TimerStarted"


@pytest.mark.parametrize(
    ("error", "status", "kind", "says"),
    [
        (WorkflowQueryFailedError(NONDETERMINISM), 503, "QueryFailed", "TMPRL1100"),
        (WorkflowUnavailable("order-A-1 did not answer within 10s; is a worker running?"), 503,
         "WorkflowUnavailable", "is a worker running?"),
        (RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b""), 503,
         "TemporalUnavailable", "Temporal cannot answer now: connection refused"),
        # A transport error, or a workflow task in failed state (a worker just died): the
        # caller must send it again, so these are 503s too, never a final-looking 500.
        (RPCError("transport error", RPCStatusCode.INTERNAL, b""), 503, "TemporalUnavailable",
         "transport error"),
        (RPCError("Unable to perform workflow execution update due to Workflow Task in failed"
                  " state", RPCStatusCode.FAILED_PRECONDITION, b""), 503, "TemporalUnavailable",
         "failed state"),
        (TemporalBusy("order-A-1 could not take the request now"), 503, "TemporalBusy",
         "could not take the request"),
        (RPCError("bad query", RPCStatusCode.INVALID_ARGUMENT, b""), 500, "RPCError",
         "Temporal: bad query"),
    ],
)  # fmt: skip
def test_temporal_failures_get_a_status_that_says_what_happened(
    api: TestClient, gateway: FakeGateway, error: Exception, status: int, kind: str, says: str
) -> None:
    gateway.get_order = SilentTemporal(error).get_order  # type: ignore[method-assign]
    response = api.get("/orders/A-1")
    assert response.status_code == status
    body = response.json()
    assert body["error"] == kind and says in body["message"]
    if status == 503:
        assert response.headers["Retry-After"] == "5"
