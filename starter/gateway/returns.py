"""The API's door to return workflows: start one, hand it the location's report, read it.

A return is kept in the store first (race-safe, ``adapters/store/returns.py``), then its
workflow is started; a crash between the two is mended by the next touch: a repeat of
the authorization (same ``request_id``) or the location's report starts the workflow the
store says should exist.
"""

from __future__ import annotations

import uuid

from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import ReturnEventRefused, UnknownReturn
from domain.ids import return_workflow_id
from domain.returns import NewReturn, ReturnEventEnvelope, ReturnReceipt, ReturnReport, ReturnView
from starter.gateway.orders import (
    QUERY_TIMEOUT,
    START_RPC_TIMEOUT,
    UPDATE_RPC_TIMEOUT,
    TemporalBusy,
    WorkflowUnavailable,
    is_transient,
)
from workflows.returns import ReturnWorkflow

_REFUSALS = {UnknownReturn.__name__: UnknownReturn, ReturnEventRefused.__name__: ReturnEventRefused}


class ReturnGateway:
    """Return workflows through the Temporal client."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    async def start(self, view: ReturnView, subscribed: list[str]) -> bool:
        """Start the return's workflow; False if it was started before (a repeat)."""
        try:
            await self._client.start_workflow(
                ReturnWorkflow.run,
                NewReturn(view=view, event_types=sorted(subscribed)),
                id=return_workflow_id(view.return_id),
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                rpc_timeout=START_RPC_TIMEOUT,
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    async def report(
        self, view: ReturnView, location_id: str, report: ReturnReport, *, actor: str
    ) -> ReturnReceipt:
        """Hand the location's report to the return; ``view``: the return as the store
        keeps it (to start its workflow if a crash left it unstarted). Raises
        ``UnknownReturn`` (404) or ``ReturnEventRefused`` (409)."""
        handle = self._client.get_workflow_handle_for(
            ReturnWorkflow.run, return_workflow_id(view.return_id)
        )
        request_id = str(uuid.uuid4())
        envelope = ReturnEventEnvelope(
            location_id=location_id, report=report, actor=actor, request_id=request_id
        )
        update_id = f"return-event:{view.return_id}:{report.event_id}"
        for _ in range(2):
            try:
                receipt = await handle.execute_update(
                    ReturnWorkflow.report, envelope, id=update_id, rpc_timeout=UPDATE_RPC_TIMEOUT
                )
                return receipt.answering(request_id)
            except WorkflowUpdateFailedError as exc:
                cause = exc.cause
                if isinstance(cause, ApplicationError) and cause.type in _REFUSALS:
                    raise _REFUSALS[cause.type](cause.message) from None
                raise WorkflowUnavailable(
                    f"{handle.id} could not take the report now; nothing was changed"
                ) from None
            except WorkflowUpdateRPCTimeoutOrCancelledError:
                raise TemporalBusy(
                    f"{handle.id} could not take the report now; nothing was lost, send it again"
                ) from None
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    if is_transient(exc):
                        raise TemporalBusy(
                            f"{handle.id} could not take the report now; send it again"
                        ) from None
                    raise
                if await self._started_again(view):
                    continue  # the workflow was missing (a crash after the store): now it is not
                return self._on_closed(await self._final(view), location_id, report)
        raise WorkflowUnavailable(f"{handle.id} could not take the report now; send it again")

    async def _started_again(self, view: ReturnView) -> bool:
        """Start the workflow of a return the store holds but Temporal never started."""
        try:
            await self._client.get_workflow_handle(return_workflow_id(view.return_id)).describe(
                rpc_timeout=QUERY_TIMEOUT
            )
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            return await self.start(view, [])
        return False

    @staticmethod
    def _on_closed(final: ReturnView, location_id: str, report: ReturnReport) -> ReturnReceipt:
        if final.location_id != location_id:
            raise UnknownReturn.named(final.return_id)
        if final.received_event_id == report.event_id:
            return ReturnReceipt.of(final, duplicate=True)
        raise ReturnEventRefused(
            f"return {final.return_id} is already {final.status.value}; "
            f"'{report.type}' cannot change it"
        )

    async def get(self, view: ReturnView) -> ReturnView:
        """The return's state from its workflow (``view``: the store's copy, answered
        when the workflow is gone or cannot say, e.g. no worker is up)."""
        return await self._final(view)

    async def _final(self, view: ReturnView) -> ReturnView:
        handle = self._client.get_workflow_handle_for(
            ReturnWorkflow.run, return_workflow_id(view.return_id)
        )
        try:
            description = await handle.describe(rpc_timeout=QUERY_TIMEOUT)
            if description.close_time is not None:
                return await handle.result(rpc_timeout=QUERY_TIMEOUT)
            return await handle.query(ReturnWorkflow.state, rpc_timeout=QUERY_TIMEOUT)
        except (RPCError, WorkflowFailureError):
            return view
