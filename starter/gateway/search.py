"""Finding orders in Temporal's visibility store: by status, customer, location, SKU, date.

Reads only what the order workflows keep searchable (``workflows/search.py``); never a
workflow's state, so a search needs no worker.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import SecretBytes
from temporalio.client import Client, WorkflowExecutionStatus

from domain.ids import order_id_from_workflow_id
from domain.models import OrderStatus
from domain.orders import OrderSummary
from workflows import search

# How many matches a search reads before sorting newest first (visibility lists running
# orders first, then closed ones by close time, so the page is sorted here).
SEARCH_SCAN_LIMIT = 1000


class OrderSearch:
    """Searches and counts of orders; ``search_hash_key`` hashes a customer's e-mail as
    the workflow's search attribute holds it."""

    def __init__(self, client: Client, search_hash_key: SecretBytes) -> None:
        self._client = client
        self._search_hash_key = search_hash_key

    async def count_orders_by_status(self) -> dict[OrderStatus, int]:
        """How many orders Temporal's visibility holds in each status (open and closed, within
        the namespace's retention); one count per status, for ``GET /metrics``."""
        counts: dict[OrderStatus, int] = {}
        for status in OrderStatus:
            query = f"WorkflowType = 'OrderWorkflow' AND {search.ORDER_STATUS.name} = '{status}'"
            counts[status] = (await self._client.count_workflows(query)).count
        return counts

    async def find_orders(
        self,
        *,
        status: OrderStatus | None = None,
        customer_email: str | None = None,
        location_id: str | None = None,
        sku: str | None = None,
        placed_after: datetime | None = None,
        limit: int = 50,
    ) -> list[OrderSummary]:
        """Orders matching every filter given, newest first, from Temporal's visibility
        (eventually consistent: a change shows up within about a second).

        ``location_id`` and ``sku`` must be identifiers (the API checks), so the query
        needs no escaping; the email is searched by its hash."""
        clauses = ["WorkflowType = 'OrderWorkflow'"]
        if status is OrderStatus.FAILED:
            # Orders whose workflow was terminated (or timed out) still carry the status
            # they had then; they are failed orders all the same.
            clauses.append(
                f"({search.ORDER_STATUS.name} = 'failed' OR ExecutionStatus IN {_ABNORMAL})"
            )
        elif status is not None:
            clauses.append(f"{search.ORDER_STATUS.name} = '{status.value}'")
            if not status.is_final:
                clauses.append("ExecutionStatus = 'Running'")
        if customer_email:
            hashed = search.email_hash(customer_email, self._search_hash_key)
            clauses.append(f"{search.CUSTOMER_EMAIL_HASH.name} = '{hashed}'")
        if location_id:
            clauses.append(f"{search.ORDER_LOCATIONS.name} = '{location_id}'")
        if sku:
            clauses.append(f"{search.ORDER_SKUS.name} = '{sku}'")
        if placed_after is not None:
            clauses.append(f"StartTime > '{placed_after.astimezone(UTC).isoformat()}'")
        found: list[OrderSummary] = []
        async for execution in self._client.list_workflows(
            " AND ".join(clauses), limit=SEARCH_SCAN_LIMIT
        ):
            attributes = execution.typed_search_attributes
            found.append(
                OrderSummary(
                    order_id=order_id_from_workflow_id(execution.id),
                    status=_searched_status(attributes.get(search.ORDER_STATUS), execution.status),
                    placed_at=execution.start_time,
                    closed_at=execution.close_time,
                    locations=list(attributes.get(search.ORDER_LOCATIONS) or []),
                    skus=list(attributes.get(search.ORDER_SKUS) or []),
                )
            )
        found.sort(key=lambda o: o.placed_at, reverse=True)
        return found[:limit]


_ABNORMAL = "('Terminated', 'TimedOut')"


def _searched_status(recorded: str | None, execution: WorkflowExecutionStatus | None) -> str | None:
    """What a search shows: ``failed`` for an order whose workflow was terminated or timed
    out before it finished (its search attribute still says what it was doing then)."""
    abnormal = (WorkflowExecutionStatus.TERMINATED, WorkflowExecutionStatus.TIMED_OUT)
    if execution in abnormal and not (recorded and OrderStatus(recorded).is_final):
        return OrderStatus.FAILED.value
    return recorded
