"""The store's door for returns (``adapters/store/returns.py``): each method one
transaction, mixed into ``InventoryStore``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adapters.store import returns
from adapters.store.returns import Decide, ReturnRecord
from adapters.store.transactions import TransactionalStore
from domain.return_states import Condition, ReturnStatus

# How often an authorization that lost a race for its return number decides again.
_RACE_ATTEMPTS = 10


class ReturnBook(TransactionalStore):
    """Authorized returns, what came back of them, and the restock."""

    def authorize_return(
        self,
        order_id: str,
        decide: Decide,
        make_id: Callable[[int], str],
        *,
        request_id: str | None = None,
    ) -> tuple[ReturnRecord, bool]:
        """Keep the return ``decide`` makes from the units earlier returns of the order
        already authorized (line_id -> units), in one transaction with the order's
        returns locked; (the return, True). ``decide`` raises to refuse, and nothing is
        kept. The same ``request_id`` again: (the first return, False). Race-safe: see
        ``adapters/store/returns.py``."""
        for _ in range(_RACE_ATTEMPTS):
            try:
                return self._write(
                    lambda uow: returns.authorize(uow, order_id, request_id, decide, make_id)
                )
            except returns.ReturnNumberTaken:
                continue  # a twin authorized first: decide again on what it left
        raise RuntimeError(f"order {order_id}: too many returns authorized at once; try again")

    def return_record(self, return_id: str) -> ReturnRecord | None:
        return self._read(lambda uow: returns.find(uow, return_id))

    def returns_of(self, order_id: str) -> list[ReturnRecord]:
        """The order's returns, the oldest first (one indexed read)."""
        return self._read(lambda uow: returns.of_order(uow, order_id))

    def returns_to(
        self, location_id: str, statuses: set[ReturnStatus] | None = None
    ) -> list[ReturnRecord]:
        """Returns coming back to ``location_id`` (default: those still awaited)."""
        wanted = statuses or {ReturnStatus.AUTHORIZED}
        return self._read(lambda uow: returns.to_location(uow, location_id, wanted))

    def receive_return(
        self, return_id: str, counted: Sequence[tuple[str, Condition, int]], *, actor: str
    ) -> dict[str, int]:
        """Put the sellable units back on hand (a ``return`` ledger row each SKU) and note
        the damaged ones; idempotent (a received return restocks nothing again). The
        units restocked by SKU."""
        return self._write(lambda uow: returns.receive(uow, return_id, counted, actor))

    def set_return_status(self, return_id: str, status: ReturnStatus) -> ReturnStatus:
        """Move a return forward (closed, expired); a repeat changes nothing."""
        return self._write(lambda uow: returns.set_status(uow, return_id, status))
