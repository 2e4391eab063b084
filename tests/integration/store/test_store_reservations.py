"""Reserving, releasing and shipping: idempotency, all-or-nothing, safety stock."""

from __future__ import annotations

import pytest

from adapters.store import (
    AllocationKeyReused,
    InvalidQuantity,
    InventoryStore,
    MovementKind,
    ReservationConflict,
    ReservationStatus,
)
from domain.errors import OutOfStock
from tests.support.builders import package_reservation


def _figures(store: InventoryStore, location_id: str, sku: str) -> tuple[int, int]:
    balance = store.balance(location_id, sku)
    return balance.on_hand, balance.reserved


def test_reserve_plan_holds_units_and_writes_the_ledger(store: InventoryStore) -> None:
    answer = store.reserve_plan(
        "o1", "o1:a1", [package_reservation("o1-F1", "EAST", WIDGET=3, GADGET=1)], '{"plan": 1}'
    )

    assert answer == '{"plan": 1}'
    assert _figures(store, "EAST", "WIDGET") == (10, 3)
    assert _figures(store, "EAST", "GADGET") == (5, 1)
    assert store.stock_snapshot(["WIDGET"]) == {"WIDGET": {"EAST": 7, "WEST": 10}}
    [row] = [r for r in store.ledger("EAST", "WIDGET") if r.kind is MovementKind.RESERVE]
    assert (row.reserved_delta, row.on_hand_delta, row.reference) == (3, 0, "o1-F1")
    assert [(r.sku, r.quantity) for r in store.open_reservations("o1")] == [
        ("GADGET", 1),
        ("WIDGET", 3),
    ]
    assert store.check_ledger() == []


def test_the_same_allocation_key_twice_returns_the_first_answer(store: InventoryStore) -> None:
    plan = [package_reservation("o1-F1", "EAST", WIDGET=2)]
    first = store.reserve_plan("o1", "o1:a1", plan, '{"first": true}')
    again = store.reserve_plan("o1", "o1:a1", plan, '{"second": true}')

    assert first == again == '{"first": true}'
    assert _figures(store, "EAST", "WIDGET") == (10, 2)
    assert store.find_allocation("o1", "o1:a1") == '{"first": true}'
    assert store.find_allocation("o1", "o1:a2") is None
    assert store.check_ledger() == []


def test_an_allocation_key_cannot_serve_two_orders(store: InventoryStore) -> None:
    store.reserve_plan("o1", "shared-key", [package_reservation("o1-F1", "EAST", WIDGET=1)], "{}")
    with pytest.raises(AllocationKeyReused, match="o1"):
        store.reserve_plan(
            "o2", "shared-key", [package_reservation("o2-F1", "EAST", WIDGET=1)], "{}"
        )


def test_a_plan_whose_last_line_fails_reserves_nothing(store: InventoryStore) -> None:
    plan = [
        package_reservation("o1-F1", "EAST", WIDGET=4, GADGET=2),
        package_reservation("o1-F2", "WEST", WIDGET=11),  # WEST holds only 10
    ]
    with pytest.raises(OutOfStock) as refused:
        store.reserve_plan("o1", "o1:a1", plan, "{}")

    assert (refused.value.location_id, refused.value.sku) == ("WEST", "WIDGET")
    assert _figures(store, "EAST", "WIDGET") == (10, 0)
    assert _figures(store, "EAST", "GADGET") == (5, 0)
    assert store.open_reservations() == []
    assert store.find_allocation("o1", "o1:a1") is None  # a retry may try again
    assert store.check_ledger() == []


def test_safety_stock_is_kept_back(store: InventoryStore) -> None:
    with pytest.raises(OutOfStock, match="safety stock"):
        store.reserve_plan(
            "o1", "o1:a1", [package_reservation("o1-F1", "EAST", {"GADGET": 2}, GADGET=4)], "{}"
        )
    store.reserve_plan(
        "o1", "o1:a2", [package_reservation("o1-F1", "EAST", {"GADGET": 2}, GADGET=3)], "{}"
    )

    assert _figures(store, "EAST", "GADGET") == (5, 3)


def test_unknown_location_or_sku_is_simply_out_of_stock(store: InventoryStore) -> None:
    with pytest.raises(OutOfStock):
        store.reserve_plan("o1", "o1:a1", [package_reservation("o1-F1", "WEST", GADGET=1)], "{}")
    with pytest.raises(OutOfStock):
        store.reserve_plan("o1", "o1:a2", [package_reservation("o1-F1", "NOWHERE", WIDGET=1)], "{}")


def test_zero_or_negative_units_are_refused_before_touching_the_store(
    store: InventoryStore,
) -> None:
    with pytest.raises(InvalidQuantity):
        store.reserve_plan("o1", "o1:a1", [package_reservation("o1-F1", "EAST", WIDGET=0)], "{}")


def test_release_is_idempotent_and_scoped_to_the_fulfillment(store: InventoryStore) -> None:
    store.reserve_plan(
        "o1",
        "o1:a1",
        [
            package_reservation("o1-F1", "EAST", WIDGET=2),
            package_reservation("o1-F2", "WEST", WIDGET=3),
        ],
        "{}",
    )

    assert store.release("o1", "o1-F1", reason="rejected by EAST") == 2
    assert store.release("o1", "o1-F1", reason="rejected by EAST") == 0
    assert _figures(store, "EAST", "WIDGET") == (10, 0)
    assert _figures(store, "WEST", "WIDGET") == (10, 3)
    assert store.release("o1", reason="cancelled") == 3
    assert store.release("o1", reason="cancelled") == 0
    assert store.release("never-reserved", reason="compensation") == 0
    assert {r.status for r in store.reservations("o1")} == {ReservationStatus.RELEASED}
    assert store.check_ledger() == []


def test_commit_shipment_is_idempotent(store: InventoryStore) -> None:
    store.reserve_plan(
        "o1", "o1:a1", [package_reservation("o1-F1", "EAST", WIDGET=2, GADGET=1)], "{}"
    )

    assert store.commit_shipment("o1", "o1-F1") == 3
    assert store.commit_shipment("o1", "o1-F1") == 3  # the same answer, nothing moved
    assert _figures(store, "EAST", "WIDGET") == (8, 0)
    assert _figures(store, "EAST", "GADGET") == (4, 0)
    assert store.release("o1", reason="too late") == 0  # shipped units stay shipped
    assert store.open_reservations() == []
    assert store.check_ledger() == []


def test_a_short_shipment_ships_what_left_and_releases_the_rest(store: InventoryStore) -> None:
    store.reserve_plan(
        "o1", "o1:a1", [package_reservation("o1-F1", "EAST", WIDGET=3, GADGET=2)], "{}"
    )

    assert store.commit_shipment("o1", "o1-F1", lines={"WIDGET": 2}) == 2

    assert _figures(store, "EAST", "WIDGET") == (8, 0)
    assert _figures(store, "EAST", "GADGET") == (5, 0)
    kinds = [r.kind for r in store.ledger("EAST", "WIDGET", limit=2)]
    assert kinds == [MovementKind.RELEASE, MovementKind.SHIP]
    assert store.check_ledger() == []


def test_shipping_more_than_was_reserved_is_refused(store: InventoryStore) -> None:
    store.reserve_plan("o1", "o1:a1", [package_reservation("o1-F1", "EAST", WIDGET=1)], "{}")
    with pytest.raises(InvalidQuantity):
        store.commit_shipment("o1", "o1-F1", lines={"WIDGET": 2})
    assert _figures(store, "EAST", "WIDGET") == (10, 1)


def test_a_released_fulfillment_can_be_reserved_again(store: InventoryStore) -> None:
    store.reserve_plan("o1", "o1:a1", [package_reservation("o1-F1", "EAST", WIDGET=2)], "{}")
    store.release("o1", "o1-F1", reason="reroute")
    store.reserve_plan("o1", "o1:a2", [package_reservation("o1-F1", "WEST", WIDGET=1)], "{}")

    [again] = store.open_reservations("o1")
    assert (again.location_id, again.quantity, again.allocation_key) == ("WEST", 1, "o1:a2")
    assert store.check_ledger() == []


def test_an_open_reservation_cannot_be_taken_twice(store: InventoryStore) -> None:
    store.reserve_plan("o1", "o1:a1", [package_reservation("o1-F1", "EAST", WIDGET=2)], "{}")
    with pytest.raises(ReservationConflict):
        store.reserve_plan("o1", "o1:a2", [package_reservation("o1-F1", "EAST", WIDGET=2)], "{}")
    assert _figures(store, "EAST", "WIDGET") == (10, 2)


def test_orders_today_counts_distinct_orders_not_released(store: InventoryStore) -> None:
    store.reserve_plan(
        "o1", "o1:a1", [package_reservation("o1-F1", "EAST", WIDGET=1, GADGET=1)], "{}"
    )
    store.reserve_plan("o2", "o2:a1", [package_reservation("o2-F1", "EAST", WIDGET=1)], "{}")
    store.reserve_plan("o3", "o3:a1", [package_reservation("o3-F1", "WEST", WIDGET=1)], "{}")
    store.release("o3", reason="cancelled")

    assert store.orders_today() == {"EAST": 2}
