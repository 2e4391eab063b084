"""Which orders wait for which SKUs, so a receipt or a count can wake them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from adapters.store import InventoryStore


def test_an_order_is_found_by_any_sku_it_waits_for(store: InventoryStore) -> None:
    store.record_backorder("o1", ["WIDGET", "GADGET"])
    store.record_backorder("o2", ["GADGET"])

    assert store.backordered_orders(["WIDGET"]) == ["o1"]
    assert store.backordered_orders(["GADGET"]) == ["o1", "o2"]
    assert store.backordered_orders(["GADGET", "WIDGET"]) == ["o1", "o2"]
    assert store.backordered_orders(["ELSE"]) == []
    assert store.backordered_orders([]) == []


def test_recording_replaces_the_set_and_an_empty_list_clears_it(store: InventoryStore) -> None:
    store.record_backorder("o1", ["WIDGET", "GADGET"])
    store.record_backorder("o1", ["GADGET"])
    assert store.backordered_orders(["WIDGET"]) == []
    assert store.backordered_orders(["GADGET"]) == ["o1"]

    store.record_backorder("o1", [])
    store.record_backorder("o1", [])  # idempotent, like every activity's store call
    assert store.backordered_orders(["GADGET", "WIDGET"]) == []


def test_the_longest_waiting_order_comes_first(store: InventoryStore) -> None:
    store.record_backorder("zz-first", ["WIDGET"])
    store.record_backorder("aa-second", ["WIDGET"])
    # Growing the set keeps the original wait of the SKU it already waited for.
    store.record_backorder("zz-first", ["WIDGET", "GADGET"])

    assert store.backordered_orders(["WIDGET", "GADGET"]) == ["zz-first", "aa-second"]


def test_a_retry_overlapping_its_first_attempt_records_once(store: InventoryStore) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: store.record_backorder("o1", ["WIDGET", "GADGET"]), range(16)))

    assert store.backordered_orders(["WIDGET"]) == ["o1"]
    store.record_backorder("o1", [])
    assert store.backordered_orders(["WIDGET", "GADGET"]) == []
