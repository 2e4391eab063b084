"""Short picks: the reservation and the shelf both lose the missing units, once per key."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from adapters.store import (
    InvalidQuantity,
    InventoryStore,
    MovementKind,
    ReservationStatus,
)
from domain.errors import UnknownSku
from tests.support.builders import reserve


def _figures(store: InventoryStore, sku: str, location_id: str = "EAST") -> tuple[int, int]:
    balance = store.balance(location_id, sku)
    return balance.on_hand, balance.reserved


def _held(store: InventoryStore, order_id: str) -> dict[str, int]:
    return {r.sku: r.quantity for r in store.open_reservations(order_id)}


def test_a_short_pick_shrinks_the_reservation_and_the_shelf(store: InventoryStore) -> None:
    fid = reserve(store, "o1", "EAST", {"WIDGET": 4, "GADGET": 2})

    store.record_shortfall("o1", fid, "EAST", {"WIDGET": 3}, key="o1-F1:short:1", actor="loc:ana")

    assert _figures(store, "WIDGET") == (7, 1)
    assert _figures(store, "GADGET") == (5, 2)
    assert _held(store, "o1") == {"WIDGET": 1, "GADGET": 2}
    adjustment, release = store.ledger("EAST", "WIDGET", limit=2)
    assert (adjustment.kind, adjustment.on_hand_delta, adjustment.reserved_delta) == (
        MovementKind.ADJUSTMENT,
        -3,
        0,
    )
    assert (release.kind, release.on_hand_delta, release.reserved_delta) == (
        MovementKind.RELEASE,
        0,
        -3,
    )
    for row in (adjustment, release):
        assert (row.reason, row.reference, row.actor) == ("short pick", fid, "loc:ana")
    assert store.check_ledger() == []


def test_the_same_key_twice_changes_nothing_a_new_key_applies(store: InventoryStore) -> None:
    fid = reserve(store, "o1", "EAST", {"WIDGET": 4})

    for _ in range(3):
        store.record_shortfall("o1", fid, "EAST", {"WIDGET": 1}, key="k1", actor="loc")
    assert _figures(store, "WIDGET") == (9, 3)
    ledger_rows = len(store.ledger("EAST", "WIDGET"))

    store.record_shortfall("o1", fid, "EAST", {"WIDGET": 1}, key="k2", actor="loc")
    assert _figures(store, "WIDGET") == (8, 2)
    assert len(store.ledger("EAST", "WIDGET")) == ledger_rows + 2
    assert store.check_ledger() == []


def test_nothing_found_releases_the_reservation(store: InventoryStore) -> None:
    fid = reserve(store, "o1", "EAST", {"WIDGET": 4, "GADGET": 1})

    store.record_shortfall("o1", fid, "EAST", {"WIDGET": 4, "GADGET": 1}, key="k", actor="loc")

    assert _figures(store, "WIDGET") == (6, 0)
    assert _figures(store, "GADGET") == (4, 0)
    assert store.open_reservations("o1") == []
    statuses = {(r.sku, r.status, r.quantity) for r in store.reservations("o1")}
    assert statuses == {
        ("WIDGET", ReservationStatus.RELEASED, 0),
        ("GADGET", ReservationStatus.RELEASED, 0),
    }
    # Releasing or shipping the fulfillment afterwards finds nothing open: nothing moves.
    assert store.release("o1", fid, reason="short") == 0
    assert store.check_ledger() == []


def test_other_orders_reservations_are_untouched_and_stay_covered(store: InventoryStore) -> None:
    fid = reserve(store, "o1", "EAST", {"WIDGET": 4})
    reserve(store, "o2", "EAST", {"WIDGET": 5})

    # The picker says 6 are missing from a fulfillment that held 4: the books take the 4,
    # and on_hand may only drop to what o2 still holds (a count settles the rest).
    store.record_shortfall("o1", fid, "EAST", {"WIDGET": 6}, key="k", actor="loc")

    assert _figures(store, "WIDGET") == (5, 5)
    assert _held(store, "o2") == {"WIDGET": 5}
    assert _held(store, "o1") == {}
    assert store.check_ledger() == []


def test_a_bad_report_changes_nothing_and_can_be_retried(store: InventoryStore) -> None:
    fid = reserve(store, "o1", "EAST", {"WIDGET": 4})

    with pytest.raises(UnknownSku):
        store.record_shortfall("o1", fid, "EAST", {"WIDGET": 1, "NOPE": 1}, key="k", actor="loc")
    with pytest.raises(InvalidQuantity):
        store.record_shortfall("o1", fid, "EAST", {"WIDGET": 0}, key="k", actor="loc")
    assert _figures(store, "WIDGET") == (10, 4)

    store.record_shortfall("o1", fid, "EAST", {"WIDGET": 1}, key="k", actor="loc")
    assert _figures(store, "WIDGET") == (9, 3)
    assert store.check_ledger() == []


def test_concurrent_reports_with_one_key_apply_once(store: InventoryStore) -> None:
    """A retried activity may overlap its first attempt: exactly one of them counts."""
    fid = reserve(store, "o1", "EAST", {"WIDGET": 6})

    def report(_: int) -> None:
        store.record_shortfall("o1", fid, "EAST", {"WIDGET": 2}, key="same", actor="loc")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(report, range(16)))

    assert _figures(store, "WIDGET") == (8, 4)
    assert store.check_ledger() == []
