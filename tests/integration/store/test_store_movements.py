"""Receipts, adjustments, cycle counts, the ledger, and the ledger check."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from adapters.store import (
    InvalidQuantity,
    InventoryStore,
    MovementKind,
    WouldUnderflow,
)
from domain.errors import UnknownLocation, UnknownSku
from tests.support.builders import reserve


def test_receive_adds_units_and_creates_a_missing_balance(store: InventoryStore) -> None:
    assert store.receive("EAST", "WIDGET", 5, reference="PO-1", actor="ana").on_hand == 15
    created = store.receive("WEST", "GADGET", 4, reference="PO-2", actor="ana")

    assert (created.on_hand, created.reserved) == (4, 0)
    [row] = store.ledger("WEST", "GADGET")
    assert (row.kind, row.on_hand_delta, row.reference, row.actor) == (
        MovementKind.RECEIPT,
        4,
        "PO-2",
        "ana",
    )
    assert store.check_ledger() == []


def test_movements_name_the_unknown_location_or_sku(store: InventoryStore) -> None:
    with pytest.raises(UnknownLocation, match="NOWHERE"):
        store.receive("NOWHERE", "WIDGET", 1, reference=None, actor="ana")
    with pytest.raises(UnknownSku, match="NOTHING"):
        store.adjust("EAST", "NOTHING", 1, reason="found", actor="ana")
    with pytest.raises(UnknownSku, match="NOTHING"):
        store.count("EAST", "NOTHING", 1, reason="cycle", actor="ana")


def test_adjust_cannot_take_on_hand_below_reserved_or_zero(store: InventoryStore) -> None:
    reserve(store, "o1", "EAST", {"WIDGET": 4})

    assert store.adjust("EAST", "WIDGET", -6, reason="damaged", actor="ana").on_hand == 4
    with pytest.raises(WouldUnderflow) as refused:
        store.adjust("EAST", "WIDGET", -1, reason="damaged", actor="ana")
    assert (refused.value.on_hand, refused.value.reserved) == (4, 4)
    with pytest.raises(WouldUnderflow):
        store.adjust("EAST", "GADGET", -6, reason="damaged", actor="ana")
    with pytest.raises(InvalidQuantity):
        store.adjust("EAST", "GADGET", 0, reason="nothing", actor="ana")
    assert store.balance("EAST", "WIDGET").on_hand == 4
    assert store.check_ledger() == []


def test_a_cycle_count_sets_on_hand_and_records_the_difference(store: InventoryStore) -> None:
    reserve(store, "o1", "EAST", {"WIDGET": 3})

    assert store.count("EAST", "WIDGET", 7, reason="cycle count", actor="ana").on_hand == 7
    assert store.count("EAST", "WIDGET", 7, reason="cycle count", actor="ana").on_hand == 7
    with pytest.raises(WouldUnderflow):
        store.count("EAST", "WIDGET", 2, reason="cycle count", actor="ana")

    latest, earlier = store.ledger("EAST", "WIDGET", limit=2)
    assert (latest.kind, latest.on_hand_delta) == (MovementKind.COUNT, 0)
    assert (earlier.kind, earlier.on_hand_delta) == (MovementKind.COUNT, -3)
    assert store.check_ledger() == []


def test_count_many_applies_all_counts_or_none(store: InventoryStore) -> None:
    changes = store.count_many("EAST", {"WIDGET": 12, "GADGET": 5}, reason="WMS sync", actor="wms")
    assert [(b.sku, b.on_hand, delta) for b, delta in changes] == [
        ("GADGET", 5, 0),
        ("WIDGET", 12, 2),
    ]
    reserve(store, "o1", "EAST", {"WIDGET": 3})
    with pytest.raises(WouldUnderflow):
        store.count_many("EAST", {"GADGET": 1, "WIDGET": 1}, reason="WMS sync", actor="wms")
    assert store.balance("EAST", "GADGET").on_hand == 5


def test_the_ledger_pages_newest_first(store: InventoryStore) -> None:
    for n in range(5):
        store.receive("EAST", "GADGET", n + 1, reference=f"PO-{n}", actor="ana")

    page = store.ledger("EAST", "GADGET", limit=2)
    assert [r.reference for r in page] == ["PO-4", "PO-3"]
    rest = store.ledger("EAST", "GADGET", limit=10, before_id=page[-1].id)
    assert [r.reference for r in rest] == ["PO-2", "PO-1", "PO-0", "network load"]
    assert all(r.at.tzinfo is not None for r in rest)


def test_check_ledger_reports_a_planted_discrepancy(
    store: InventoryStore, database_url: str
) -> None:
    reserve(store, "o1", "EAST", {"WIDGET": 2})
    assert store.check_ledger() == []

    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:  # someone edits the table behind the store's back
            conn.execute(
                sa.text(
                    "UPDATE stock_levels SET on_hand = on_hand + 7, reserved = reserved + 1 "
                    "WHERE location_id = 'EAST' AND sku = 'WIDGET'"
                )
            )
    finally:
        engine.dispose()

    problems = store.check_ledger()
    assert any("EAST/WIDGET: on_hand 17 but the ledger sums to 10" in p for p in problems)
    assert any("EAST/WIDGET: reserved 3 but the ledger sums to 2" in p for p in problems)
    assert any("EAST/WIDGET: reserved 3 but open reservations hold 2" in p for p in problems)
    assert len(problems) == 3


def test_a_locations_ledger_reads_every_sku_newest_first(store: InventoryStore) -> None:
    """What the console's stock page and its "done today" list read."""
    from datetime import UTC, datetime, timedelta

    store.receive("EAST", "WIDGET", 5, reference="PO-1", actor="ana")
    store.adjust("EAST", "GADGET", -1, reason="damaged", actor="ana")
    store.receive("WEST", "WIDGET", 2, reference="PO-2", actor="ana")
    rows = store.location_ledger("EAST", limit=2)
    assert [(r.kind, r.sku) for r in rows] == [
        (MovementKind.ADJUSTMENT, "GADGET"),
        (MovementKind.RECEIPT, "WIDGET"),
    ]
    receipts = store.location_ledger("EAST", kinds=[MovementKind.RECEIPT])
    assert receipts[0].reference == "PO-1"  # then the network file's opening stock
    assert {r.kind for r in receipts} == {MovementKind.RECEIPT}
    future = datetime.now(UTC) + timedelta(hours=1)
    assert store.location_ledger("EAST", since=future) == []
