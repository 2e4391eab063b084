"""Finding orders in Temporal's visibility store: by status, customer, location, SKU, date.

Reads only what the order workflows keep searchable (``workflows/search.py``); never a
workflow's state, so a search needs no worker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import SecretBytes
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus

from domain.ids import order_id_from_workflow_id, order_workflow_id
from domain.models import OrderStatus, is_identifier
from domain.orders import OrderSummary
from domain.personal import Personal, SealedPersonal, matches
from services.ports import PersonalVault
from workflows import search

# How many matches a search reads before sorting newest first (visibility lists running
# orders first, then closed ones by close time, so the page is sorted here).
SEARCH_SCAN_LIMIT = 1000
# How long one page of a search may take: a Temporal that does not answer is a 503.
SEARCH_RPC_TIMEOUT = timedelta(seconds=10)
# How many candidates a search by text opens, at most, to check the text is really there.
TEXT_SCAN_LIMIT = 200


class OrderSearch:
    """Searches and counts of orders. A customer's e-mail is searched by what their orders'
    search attribute holds: a hash under the customer's own key (``vault``), and for
    orders from before per-customer keys, a hash under ``search_hash_key``."""

    def __init__(
        self, client: Client, search_hash_key: SecretBytes, vault: PersonalVault | None
    ) -> None:
        self._client = client
        self._search_hash_key = search_hash_key
        self._vault = vault

    async def _email_hashes(self, email: str) -> tuple[str | None, str]:
        """(the hash under the customer's own key, None if they have none; the hash
        orders from before per-customer keys carry)."""
        own = await self._vault.search_value(email) if self._vault else None
        return own, search.email_hash(email, self._search_hash_key)

    async def customer_orders(self, email: str) -> tuple[list[OrderSummary], list[OrderSummary]]:
        """The customer's orders: (those under their own key, those from before keys)."""
        own, legacy = await self._email_hashes(email)
        keyed = await self._search([_is_hash(own)], SEARCH_SCAN_LIMIT) if own else []
        old = await self._search([_is_hash(legacy)], SEARCH_SCAN_LIMIT)
        return keyed, old

    async def count_orders_by_status(self) -> dict[OrderStatus, int]:
        """How many orders Temporal's visibility holds in each status (open and closed, within
        the namespace's retention); one count per status, for ``GET /metrics``."""
        counts: dict[OrderStatus, int] = {}
        for status in OrderStatus:
            query = f"{_ORDERS} AND {search.ORDER_STATUS.name} = '{status}'"
            counted = await self._client.count_workflows(query, rpc_timeout=SEARCH_RPC_TIMEOUT)
            counts[status] = counted.count
        return counts

    async def find_orders(
        self,
        *,
        status: OrderStatus | None = None,
        customer_email: str | None = None,
        location_id: str | None = None,
        sku: str | None = None,
        placed_after: datetime | None = None,
        text: str | None = None,
        limit: int = 50,
    ) -> list[OrderSummary]:
        """Orders matching every filter given, newest first, from Temporal's visibility
        (eventually consistent: a change shows up within about a second).

        ``location_id`` and ``sku`` must be identifiers (the API checks), so the query
        needs no escaping; the email is searched by its hash. ``text``: an order id in
        any case, or part of the customer's name or e-mail (3 characters at least; found
        through the customers' blind index, then checked against what opens)."""
        clauses: list[str] = []
        if text:
            clause = await self._text_clause(text)
            if clause is None:
                return []
            clauses.append(clause)
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
            own, legacy = await self._email_hashes(customer_email)
            either = " OR ".join(_is_hash(h) for h in (own, legacy) if h)
            clauses.append(f"({either})")
        if location_id:
            clauses.append(f"{search.ORDER_LOCATIONS.name} = '{location_id}'")
        if sku:
            clauses.append(f"{search.ORDER_SKUS.name} = '{sku}'")
        if placed_after is not None:
            clauses.append(f"StartTime > '{placed_after.astimezone(UTC).isoformat()}'")
        return await self._search(clauses, limit, text=text)

    async def _text_clause(self, text: str) -> str | None:
        """Orders whose id is ``text`` (as typed, upper or lower case), or whose customer
        may match it; None if nothing can."""
        either: list[str] = []
        if is_identifier(text.strip()):
            ids = {text.strip(), text.strip().upper(), text.strip().lower()}
            quoted = ", ".join(f"'{order_workflow_id(i)}'" for i in sorted(ids))
            either.append(f"WorkflowId IN ({quoted})")
        values = await self._vault.search_values_matching(text) if self._vault else []
        if values:
            quoted = ", ".join(f"'{v}'" for v in values)  # hex: nothing to escape
            either.append(f"{search.CUSTOMER_EMAIL_HASH.name} IN ({quoted})")
        return f"({' OR '.join(either)})" if either else None

    async def _search(
        self, clauses: list[str], limit: int, *, text: str | None = None
    ) -> list[OrderSummary]:
        clauses = [_ORDERS, *clauses]
        found: list[tuple[OrderSummary, WorkflowExecution]] = []
        async for execution in self._client.list_workflows(
            " AND ".join(clauses), limit=SEARCH_SCAN_LIMIT, rpc_timeout=SEARCH_RPC_TIMEOUT
        ):
            attributes = execution.typed_search_attributes
            summary = OrderSummary(
                order_id=order_id_from_workflow_id(execution.id),
                status=_searched_status(attributes.get(search.ORDER_STATUS), execution.status),
                placed_at=execution.start_time,
                closed_at=execution.close_time,
                locations=list(attributes.get(search.ORDER_LOCATIONS) or []),
                skus=list(attributes.get(search.ORDER_SKUS) or []),
            )
            found.append((summary, execution))
        found.sort(key=lambda pair: pair[0].placed_at, reverse=True)
        if not text:
            return [(await self._with_customer(s, e))[0] for s, e in found[:limit]]
        # The blind index finds candidates: keep those whose id is the text, or whose
        # customer, opened, really holds it.
        kept: list[OrderSummary] = []
        for summary, execution in found[:TEXT_SCAN_LIMIT]:
            opened, personal = await self._with_customer(summary, execution)
            if _id_matches(summary.order_id, text) or (personal and matches(personal, text)):
                kept.append(opened)
                if len(kept) == limit:
                    break
        return kept

    async def _with_customer(
        self, summary: OrderSummary, execution: WorkflowExecution
    ) -> tuple[OrderSummary, Personal | None]:
        """The summary with its customer (opened from the order's memo), or marked erased."""
        if self._vault is None:
            return summary, None
        sealed = (await execution.memo()).get(search.PERSONAL_MEMO)
        if not sealed:
            return summary, None  # an order from before its memo held the customer
        personal = await self._vault.open(SealedPersonal.model_validate(sealed))
        if personal is None:
            return summary.model_copy(update={"customer_erased": True}), None
        return summary.model_copy(update={"customer": personal.customer}), personal


_ABNORMAL = "('Terminated', 'TimedOut')"
# Every order once: a long-lived order that continued as new (``workflows/continuation.py``)
# leaves its earlier runs in visibility, closed as ``ContinuedAsNew``; its latest run is
# the order.
_ORDERS = "WorkflowType = 'OrderWorkflow' AND ExecutionStatus != 'ContinuedAsNew'"


def _id_matches(order_id: str, text: str) -> bool:
    return order_id.lower() == text.strip().lower()


def _is_hash(hashed: str | None) -> str:
    """The clause for one e-mail hash (hex: needs no escaping)."""
    return f"{search.CUSTOMER_EMAIL_HASH.name} = '{hashed}'"


def _searched_status(recorded: str | None, execution: WorkflowExecutionStatus | None) -> str | None:
    """What a search shows: ``failed`` for an order whose workflow was terminated or timed
    out before it finished (its search attribute still says what it was doing then)."""
    abnormal = (WorkflowExecutionStatus.TERMINATED, WorkflowExecutionStatus.TIMED_OUT)
    if execution in abnormal and not (recorded and OrderStatus(recorded).is_final):
        return OrderStatus.FAILED.value
    return recorded
