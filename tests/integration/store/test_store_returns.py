"""Returns in the store, on SQLite and PostgreSQL: only what shipped is ever authorized,
however many authorizations race; a received return restocks once, with its ledger row."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from adapters.store import InventoryStore
from adapters.store.returns import ReturnDraft
from domain.errors import ReturnRefused
from domain.ids import return_id
from domain.return_states import Condition, ReturnStatus
from domain.returns import ReturnRequest, authorize
from tests.support.returns import shipped_order

ORDER = shipped_order("A1", widgets=2)


def _authorize(
    store: InventoryStore, units: int, request_id: str | None = None
) -> tuple[str, bool]:
    request = ReturnRequest.model_validate(
        {"lines": [{"line_id": "1", "quantity": units, "reason": "too big"}]}
    )

    def decide(earlier: dict[str, int], number: int) -> ReturnDraft:
        lines = authorize(ORDER, request, earlier, now=datetime.now(UTC), window=timedelta(30))
        return ReturnDraft("EAST", "USD", lines, "support:sam")

    record, created = store.authorize_return(
        "A1", decide, lambda n: return_id("A1", n), request_id=request_id
    )
    return record.return_id, created


def test_returns_are_numbered_per_order_and_a_request_id_answers_the_same_return(
    store: InventoryStore,
) -> None:
    assert _authorize(store, 1, "req-1") == ("A1-R1", True)
    assert _authorize(store, 1, "req-1") == ("A1-R1", False)  # a repeat: nothing new
    assert _authorize(store, 1) == ("A1-R2", True)
    with pytest.raises(ReturnRefused, match="2 shipped and 2 already authorized"):
        _authorize(store, 1)
    (first, second) = store.returns_of("A1")
    assert (first.return_id, second.return_id) == ("A1-R1", "A1-R2")
    assert first.lines[0].unit_price is not None and str(first.lines[0].unit_price) == "24.00"


@pytest.mark.slow
def test_concurrent_authorizations_for_the_last_units_only_as_many_win_as_shipped(
    store: InventoryStore,
) -> None:
    attempts = 12
    barrier = threading.Barrier(attempts)

    def one(n: int) -> bool:
        barrier.wait()
        try:
            _authorize(store, 1, f"req-{n}")
        except ReturnRefused:
            return False
        return True

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        results = list(pool.map(one, range(attempts)))
    assert results.count(True) == 2  # two widgets shipped: two returns of one each
    assert sorted(r.return_id for r in store.returns_of("A1")) == ["A1-R1", "A1-R2"]


def test_an_expired_return_gives_its_units_back_to_be_returned(store: InventoryStore) -> None:
    returned, _ = _authorize(store, 2)
    assert store.set_return_status(returned, ReturnStatus.EXPIRED) is ReturnStatus.EXPIRED
    assert _authorize(store, 2)[1]


def test_a_received_return_restocks_sellable_units_once_with_a_ledger_row(
    store: InventoryStore,
) -> None:
    returned, _ = _authorize(store, 2)
    before = store.balance("EAST", "WIDGET").on_hand
    counted = [("1", Condition.SELLABLE, 1), ("1", Condition.DAMAGED, 1)]
    assert store.receive_return(returned, counted, actor="location:EAST:ann") == {"WIDGET": 1}
    assert store.receive_return(returned, counted, actor="location:EAST:ann") == {}  # a retry
    assert store.balance("EAST", "WIDGET").on_hand == before + 1  # the damaged one is not
    (row, *_) = store.ledger("EAST", "WIDGET")
    assert (row.kind, row.on_hand_delta, row.reference, row.actor) == (
        "return",
        1,
        returned,
        "location:EAST:ann",
    )
    record = store.return_record(returned)
    assert record is not None and record.status is ReturnStatus.RECEIVED
    assert (record.lines[0].sellable, record.lines[0].damaged) == (1, 1)
    assert store.check_ledger() == []
    # a status never moves backwards
    assert store.set_return_status(returned, ReturnStatus.EXPIRED) is ReturnStatus.RECEIVED
    assert store.set_return_status(returned, ReturnStatus.CLOSED) is ReturnStatus.CLOSED
    assert [r.return_id for r in store.returns_to("EAST")] == []


def test_the_books_check_finds_a_returned_unit_the_ledger_does_not_explain(
    store: InventoryStore,
) -> None:
    import sqlalchemy as sa

    returned, _ = _authorize(store, 1)
    store.receive_return(returned, [("1", Condition.SELLABLE, 1)], actor="ops:kim")
    with store._engine.begin() as connection:  # a unit noted as back, with no ledger row
        connection.execute(sa.text("UPDATE return_lines SET sellable = 2"))
    assert any("returns received 2" in p for p in store.check_ledger())
