"""The API's (and the simulator's) door to the order workflows in Temporal.

It turns Temporal's answers into business errors: an unknown workflow is an unknown
order or fulfillment, a rejected update is the validator's reason, a closed
fulfillment is a conflict (unless the event was already applied: then it is a repeat).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import SecretBytes
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    QueryRejectCondition,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from adapters.order_signals import tell_stock_arrived
from domain.checkout import OrderRequest
from domain.errors import (
    CancelRefused,
    HoldRefused,
    InvalidTransition,
    OrderConflict,
    RerouteRefused,
    UnknownFulfillment,
)
from domain.fulfillment import FulfillmentView, LocationEvent, is_repeat
from domain.holds import HoldRelease, HoldRequest
from domain.ids import (
    order_id_of_fulfillment,
    order_workflow_id,
)
from domain.models import OrderStatus, PlacedOrder
from domain.orders import (
    CancelRequest,
    EventReceipt,
    HoldResult,
    LocationEventEnvelope,
    NewOrder,
    OrderOutcome,
    OrderView,
    RerouteRequest,
    RerouteResult,
    shipped_summary,
)
from services.personal import opened_view, sealed
from services.ports import PersonalVault
from starter.gateway.search import OrderSearch
from starter.gateway.views import ended_abnormally, presented
from workflows import search
from workflows.order import OrderWorkflow

log = logging.getLogger(__name__)

A = TypeVar("A")
R = TypeVar("R")
_OrderHandle = WorkflowHandle[OrderWorkflow, OrderOutcome]

_REQUEST_HASH = "request_sha256"


class UnknownOrder(LookupError):
    """No order with that id."""


class WorkflowUnavailable(RuntimeError):
    """The workflow exists but cannot answer now: no worker answered in time, or the
    worker's code does not match it. The message is for callers: plain words only."""


# The refusals the order workflow's update validators and handlers give, by type.
_EVENT_REFUSALS = {UnknownFulfillment.__name__, InvalidTransition.__name__}
# What workflows built before each refusal had its own name raised for a refused cancel
# or reroute alike (an order in flight may still answer with it).
_OLD_OPERATOR_REFUSAL = "NotReroutable"


def _unexpected_failure(handle: _OrderHandle, what: str, error: Exception) -> WorkflowUnavailable:
    """A workflow failure that is no business refusal (a worker without the handler, a
    bug): logged in full here, told to the caller in plain words, never SDK text."""
    cause = getattr(error, "cause", None) or error
    log.error("%s on %s failed unexpectedly: %r", what, handle.id, cause)
    return WorkflowUnavailable(
        f"{handle.id} could not take the {what} now; nothing was changed. "
        "The server log has the details"
    )


class TemporalBusy(RuntimeError):
    """Temporal kept answering "not now" for longer than the API waits; nothing changed."""


# How long a read waits for a worker to answer it. A query is served by a worker (it
# replays a closed workflow's history to answer), so with no worker polling it would wait
# for the RPC's own 30 s limit.
QUERY_TIMEOUT = timedelta(seconds=10)
_TIMED_OUT = (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)
# How long a location event or an operator's call rides out transient Temporal answers
# before the API says 503; and how long one try may wait for the workflow to answer.
UPDATE_BUDGET = timedelta(seconds=8)
UPDATE_RPC_TIMEOUT = timedelta(seconds=5)
# How long starting an order's workflow (and reading a repeat's fingerprint) may take:
# a Temporal that does not answer (a partition: the connection hangs, nothing refuses)
# is a 503 with Retry-After within this, never a checkout left waiting. A start that did
# land meanwhile is found by the caller's retry (same id, same body: 200).
START_RPC_TIMEOUT = timedelta(seconds=6)


def request_hash(order: OrderRequest | PlacedOrder) -> str:
    """A fingerprint of the checkout body, to tell a harmless repeat from a conflicting one."""
    # An order without a hold hashes as it did before holds existed: its repeat still
    # matches the fingerprint of an order placed then.
    exclude = {"hold"} if order.hold is None else None
    return hashlib.sha256(order.model_dump_json(exclude=exclude).encode()).hexdigest()


class OrderGateway(OrderSearch):
    """The order workflows' door: start, read, report events, cancel, reroute, wake; and
    (``OrderSearch``) find them. ``search_hash_key``: the secret of the e-mail search
    attribute (``DOM_SEARCH_HASH_KEY``); the gateway hashes at the edge so the key never
    enters a workflow history. ``vault``: customers' own keys; the gateway seals each new
    order's customer and street under them before it reaches Temporal, and opens them in
    every view it returns (None: orders keep them in clear, sealed by the payload codec
    only; for tests of the gateway alone)."""

    def __init__(
        self,
        client: Client,
        task_queue: str,
        *,
        search_hash_key: SecretBytes,
        vault: PersonalVault | None,
        query_timeout: timedelta = QUERY_TIMEOUT,
        update_budget: timedelta = UPDATE_BUDGET,
    ) -> None:
        super().__init__(client, search_hash_key, vault)
        self._task_queue = task_queue
        self._query_timeout = query_timeout
        self._update_budget = update_budget

    @property
    def client(self) -> Client:
        return self._client

    @property
    def task_queue(self) -> str:
        return self._task_queue

    async def place_order(
        self,
        order: OrderRequest | PlacedOrder,
        *,
        placed_by: str = "checkout",
        refused: str | None = None,
        read_back: bool = True,
        subscribed: list[str] | None = None,
    ) -> tuple[OrderStatus | None, bool]:
        """Start the order's workflow; returns (status, created). Same id + other body: conflict.

        ``placed_by``: the caller, for the timeline's first entry. ``refused``: why the
        order cannot be placed although it must be kept (a storefront's order): its
        workflow ends ``failed`` at once with that reason. ``read_back`` False: a repeat
        is answered without reading the order's status (None), so the answer never waits
        for a worker. ``subscribed``: the event types subscribers want now; the order
        publishes those. All of them travel in the workflow's input (``NewOrder``); the
        memo holds only the body's fingerprint, which a repeat is checked against."""
        digest = request_hash(order)
        placed = order.placed() if isinstance(order, OrderRequest) else order
        if placed.customer is None:
            raise ValueError(f"order {placed.order_id} has no customer")
        email = placed.customer.email
        personal = customer_hash = None
        if self._vault is not None:
            placed, personal = await sealed(self._vault, placed)
            customer_hash = await self._vault.search_value(email)  # the key sealing just read
        new_order = NewOrder(
            **dict(placed),
            personal=personal,
            placed_by=placed_by,
            event_types=sorted(subscribed or []),
            store_calls=search.STORE_CALLS_LOCAL,
            refused=refused or None,
        )
        try:
            await self._client.start_workflow(
                OrderWorkflow.run,
                new_order,
                id=order_workflow_id(order.order_id),
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                # When a worker shares this client (``dom up``), its first task comes back
                # with the start response: no trip through the task queue. Elsewhere the
                # SDK leaves the request alone and the order starts as usual.
                request_eager_start=True,
                rpc_timeout=START_RPC_TIMEOUT,
                memo={
                    _REQUEST_HASH: digest,
                    **({search.PERSONAL_MEMO: personal.model_dump()} if personal else {}),
                },
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(search.ORDER_STATUS, OrderStatus.RECEIVED.value),
                        SearchAttributePair(
                            search.CUSTOMER_EMAIL_HASH,
                            customer_hash or search.email_hash(email, self._search_hash_key),
                        ),
                        SearchAttributePair(search.ORDER_SKUS, sorted(order.units_by_sku())),
                    ]
                ),
            )
            return OrderStatus.RECEIVED, True
        except WorkflowAlreadyStartedError:
            handle = self._client.get_workflow_handle(order_workflow_id(order.order_id))
            description = await handle.describe(rpc_timeout=START_RPC_TIMEOUT)
            if (await description.memo()).get(_REQUEST_HASH) != digest:
                raise OrderConflict(
                    f"order {order.order_id} was already placed with a different body"
                ) from None
            if not read_back:
                return None, False
            view = await self.get_order(order.order_id)
            return view.status, False

    async def get_order(self, order_id: str, *, wait: timedelta | None = None) -> OrderView:
        """The order's state, its packages' timelines merged into its own.

        ``wait``: if the order is still open, first wait up to that long for it to end
        (the server's own long poll on the order's close: no query, no worker), then
        answer; so a caller that wants the outcome asks once instead of polling."""
        view = await self._final_state(order_id, wait) if wait else None
        if view is None:
            view = await self._order_state(order_id)
        return presented(await self._opened(view))

    async def _opened(self, view: OrderView) -> OrderView:
        """The view with its customer and street opened (or marked erased)."""
        return await opened_view(self._vault, view) if self._vault else view

    async def _final_state(self, order_id: str, wait: timedelta) -> OrderView | None:
        """The order's final state if it has ended or ends within ``wait``, else None."""
        handle = self._client.get_workflow_handle_for(
            OrderWorkflow.run, order_workflow_id(order_id)
        )
        try:
            outcome = await asyncio.wait_for(handle.result(), wait.total_seconds())
        except (TimeoutError, WorkflowFailureError):
            return None  # still open, or ended abnormally: read it the usual way
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise UnknownOrder(f"no order {order_id!r}") from None
            raise
        return outcome.view

    async def reroute(self, order_id: str, request: RerouteRequest) -> RerouteResult:
        """Move the order's open packages; raises UnknownOrder or RerouteRefused (with why)."""
        return await self._operator_update(order_id, OrderWorkflow.reroute, request, RerouteRefused)

    async def cancel(self, order_id: str, request: CancelRequest) -> OrderView:
        """Cancel the order; raises UnknownOrder or CancelRefused (e.g. something shipped)."""
        view = await self._operator_update(order_id, OrderWorkflow.cancel, request, CancelRefused)
        return await self._opened(view)

    async def hold(
        self, order_id: str, request: HoldRequest, *, request_id: str | None = None
    ) -> HoldResult:
        """Hold what the order has not dispatched; raises UnknownOrder or HoldRefused.
        ``request_id``: the caller's key for this request (``Idempotency-Key``): a retry
        with the same key is the same update, applied once, answered as the first."""
        return await self._operator_update(
            order_id, OrderWorkflow.hold, request, HoldRefused,
            update_id=operator_update_id("hold", order_id, request_id),
        )  # fmt: skip

    async def release_hold(
        self, order_id: str, release: HoldRelease, *, request_id: str | None = None
    ) -> HoldResult:
        """Lift one of the order's holds; raises UnknownOrder or HoldRefused (none such)."""
        return await self._operator_update(
            order_id, OrderWorkflow.release_hold, release, HoldRefused,
            update_id=operator_update_id("release-hold", order_id, request_id),
        )  # fmt: skip

    async def _operator_update(
        self,
        order_id: str,
        update: UpdateMethodMultiParam[[OrderWorkflow, A], R],
        request: A,
        refusal: type[CancelRefused | RerouteRefused | HoldRefused],
        *,
        update_id: str | None = None,
    ) -> R:
        handle = self._client.get_workflow_handle_for(
            OrderWorkflow.run, order_workflow_id(order_id)
        )
        try:
            return await self._update(handle, update, request, update_id or str(uuid.uuid4()))
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type in (
                refusal.__name__,
                _OLD_OPERATOR_REFUSAL,
            ):
                raise refusal(cause.message) from None
            raise _unexpected_failure(handle, "request", exc) from None
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            final = await self._order_state(order_id)  # UnknownOrder if there is none
            left = shipped_summary(final)
            raise refusal(
                f"order {order_id} is already {final.status.value}"
                + (f": {left} already shipped" if left else "")
            ) from None

    async def _update(
        self,
        handle: _OrderHandle,
        update: UpdateMethodMultiParam[[OrderWorkflow, A], R],
        arg: A,
        update_id: str,
    ) -> R:
        """Run an update, riding out Temporal's transient answers (a server restarting, a
        worker that just died and left a failed workflow task) for ``update_budget``; the
        same update id on every try, so a try that did land is not applied twice. What
        cannot be absorbed is ``TemporalBusy`` (the API answers 503 with Retry-After)."""
        deadline = time.monotonic() + self._update_budget.total_seconds()
        pause = 0.05
        while True:
            try:
                return await handle.execute_update(
                    update, arg, id=update_id, rpc_timeout=UPDATE_RPC_TIMEOUT
                )
            except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
                if isinstance(exc, RPCError) and not is_transient(exc):
                    raise
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning("%s: update still refused after the budget: %s", handle.id, exc)
                    raise TemporalBusy(
                        f"{handle.id} could not take the request now; "
                        "nothing was lost, send it again"
                    ) from None
                await asyncio.sleep(min(pause, left))
                pause = min(pause * 2, 1.0)

    async def stock_arrived(self, order_ids: list[str], skus: list[str]) -> int:
        """Wake backordered orders: availability of ``skus`` went up. Returns orders told."""
        return await tell_stock_arrived(self._client, order_ids, skus)

    async def fulfillment(self, fulfillment_id: str) -> FulfillmentView:
        """One package's state (open or closed); ``UnknownFulfillment`` if there is none."""
        try:
            view = await self._order_state(order_id_of_fulfillment(fulfillment_id))
        except (ValueError, UnknownOrder):
            raise UnknownFulfillment.named(fulfillment_id) from None
        view = await self._opened(view)
        for package in view.fulfillments:
            if package.fulfillment_id == fulfillment_id:
                return package
        raise UnknownFulfillment.named(fulfillment_id)

    async def _order_state(self, order_id: str) -> OrderView:
        """The order's state (open or closed); ``UnknownOrder`` if none.

        An open order answers a query from its worker's cache. A closed one is read from
        the final state its workflow returned (the server alone serves that: no replay,
        no worker needed); only an order whose workflow closed without finishing
        (terminated, or from before the final state was returned) is replayed."""
        handle = self._client.get_workflow_handle_for(
            OrderWorkflow.run, order_workflow_id(order_id)
        )
        try:
            try:
                return await self._query(
                    handle, OrderWorkflow.state, reject_condition=QueryRejectCondition.NOT_OPEN
                )
            except WorkflowQueryRejectedError as rejected:
                if rejected.status == WorkflowExecutionStatus.COMPLETED:
                    outcome = await handle.result(rpc_timeout=self._query_timeout)
                    if outcome.view is not None:
                        return outcome.view
                view = await self._query(handle, OrderWorkflow.state)
                return ended_abnormally(view, rejected.status)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise UnknownOrder(f"no order {order_id!r}") from None
            raise

    async def _query(
        self, handle: _OrderHandle, query: Callable[[OrderWorkflow], R], **options: Any
    ) -> R:
        """Run ``query``, waiting at most the query timeout for a worker to answer."""
        try:
            return await handle.query(query, rpc_timeout=self._query_timeout, **options)
        except RPCError as exc:
            if exc.status in _TIMED_OUT:
                raise WorkflowUnavailable(
                    f"{handle.id} did not answer within {self._query_timeout.total_seconds():g}s;"
                    " is a worker running?"
                ) from None
            raise

    async def report_event(
        self, location_id: str, fulfillment_id: str, event: LocationEvent, *, actor: str
    ) -> EventReceipt:
        """Deliver a location's event to the package's order; raises UnknownFulfillment
        (404) or InvalidTransition (409), or TemporalBusy (503) when it cannot be taken now."""
        try:
            order_id = order_id_of_fulfillment(fulfillment_id)
        except ValueError:
            raise UnknownFulfillment.named(fulfillment_id) from None
        handle = self._client.get_workflow_handle_for(
            OrderWorkflow.run, order_workflow_id(order_id)
        )
        envelope = LocationEventEnvelope(
            location_id=location_id,
            fulfillment_id=fulfillment_id,
            event=event,
            actor=actor,
            received_at=datetime.now(UTC),
            request_id=(request_id := str(uuid.uuid4())),
        )
        update_id = event_update_id(fulfillment_id, event)
        try:
            outcome = await self._update(handle, OrderWorkflow.report_event, envelope, update_id)
            return outcome.receipt(request_id)
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type in _EVENT_REFUSALS:
                refusal = (
                    UnknownFulfillment
                    if cause.type == UnknownFulfillment.__name__
                    else InvalidTransition
                )
                raise refusal(cause.message) from None
            raise _unexpected_failure(handle, "event", exc) from None
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            return await self._event_on_closed(order_id, location_id, fulfillment_id, event)

    async def _event_on_closed(
        self, order_id: str, location_id: str, fulfillment_id: str, event: LocationEvent
    ) -> EventReceipt:
        """The order has ended (or never was): a repeat gets its receipt, the rest a 409."""
        try:
            final = await self._order_state(order_id)
        except UnknownOrder:
            raise UnknownFulfillment.named(fulfillment_id) from None
        package = next((f for f in final.fulfillments if f.fulfillment_id == fulfillment_id), None)
        if package is None or package.location_id != location_id:
            raise UnknownFulfillment.named(fulfillment_id)
        if is_repeat(package, event):  # or InvalidTransition: the id named another event
            return EventReceipt.of(package, duplicate=True)
        raise InvalidTransition(
            f"fulfillment {fulfillment_id} is closed ({package.status.value}); "
            f"'{event.type.value}' cannot change it"
        )


def operator_update_id(action: str, order_id: str, request_id: str | None) -> str:
    """The Temporal update id of an operator's request: derived from the caller's
    request id when it sent one (a retry is then the same update, which Temporal
    answers from the first), else one per call."""
    if request_id:
        return f"{action}:{order_id}:{request_id}"
    return str(uuid.uuid4())


def event_update_id(fulfillment_id: str, event: LocationEvent) -> str:
    """The Temporal update id a location's event travels under, the same on every retry.

    With an ``event_id``, derived from it and the event's type: every repeat of the event
    is the same update, which Temporal answers from the first one's outcome, so repeats
    cost the order no update however many come (Temporal caps the distinct updates one
    workflow may take). The same id reused for another type is another update, which the
    workflow refuses (409). Without an ``event_id``, one id per request: a try that
    landed is not applied twice by the gateway's own retries."""
    if event.event_id:
        return f"event:{fulfillment_id}:{event.type.value}:{event.event_id}"
    return str(uuid.uuid4())


# Temporal answers that say "not now" rather than "no": retried within the budget.
_PERMANENT = {
    RPCStatusCode.NOT_FOUND,
    RPCStatusCode.INVALID_ARGUMENT,
    RPCStatusCode.ALREADY_EXISTS,
    RPCStatusCode.PERMISSION_DENIED,
    RPCStatusCode.UNAUTHENTICATED,
    RPCStatusCode.UNIMPLEMENTED,
    RPCStatusCode.OUT_OF_RANGE,
}


def is_too_large(error: RPCError) -> bool:
    """Temporal refused the call for its size (a payload over its blob limit, a message
    over gRPC's): sending it again cannot help."""
    text = error.message.lower()
    return "size exceeds limit" in text or "larger than max" in text


def is_transient(error: RPCError) -> bool:
    """Temporal could not serve the call now (down, overloaded, a workflow task that
    failed and is being retried); the same call may well go through in a moment."""
    return error.status not in _PERMANENT and not is_too_large(error)
