"""Retention (issue 21): the rows of orders closed more than N days ago go; open orders,
recent rows and the ledger stay. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from adapters.store import InventoryStore
from adapters.store.retention import TABLES
from adapters.store.tables import metadata
from tests.support.builders import package_reservation

NOW = datetime.now(UTC)
CUTOFF = NOW - timedelta(days=90)
LONG_AGO = NOW - timedelta(days=100)


def closed_order(store: InventoryStore, order_id: str) -> None:
    """An order with a row in every table retention clears: one package shipped (short
    one unit), one released, a backorder noted, an event delivered."""
    store.reserve_plan(
        order_id,
        f"{order_id}:A1",
        [
            package_reservation(f"{order_id}-F1", "EAST", WIDGET=2),
            package_reservation(f"{order_id}-F2", "WEST", WIDGET=1),
        ],
        '{"plan": "kept"}',
    )
    store.record_shortfall(
        order_id, f"{order_id}-F1", "EAST", {"WIDGET": 1}, key=f"{order_id}:S1", actor="test"
    )
    store.commit_shipment(order_id, f"{order_id}-F1")
    store.release(order_id, f"{order_id}-F2", reason="cancelled")
    store.record_backorder(order_id, ["GADGET"])
    store.start_delivery("sub-1", f"{order_id}:shipped", "order.shipped", order_id)


def age(store: InventoryStore, order_id: str, when: datetime = LONG_AGO) -> None:
    """Every row of ``order_id`` last changed at ``when``."""
    engine = sa.create_engine(store.database_url)
    try:
        with engine.begin() as db:
            for table in metadata.sorted_tables:
                if table.name in TABLES:
                    values = {c.name: when for c in table.columns if c.name in STAMPS}
                    db.execute(sa.update(table).where(table.c.order_id == order_id).values(values))
    finally:
        engine.dispose()


STAMPS = {"created_at", "updated_at", "at", "since"}


def rows_of(store: InventoryStore, order_id: str) -> dict[str, int]:
    engine = sa.create_engine(store.database_url)
    try:
        with engine.connect() as db:
            return {
                table.name: db.execute(
                    sa.select(sa.func.count()).where(table.c.order_id == order_id)
                ).scalar_one()
                for table in metadata.sorted_tables
                if table.name in TABLES
            }
    finally:
        engine.dispose()


def test_old_closed_orders_go_open_and_recent_ones_stay(store: InventoryStore) -> None:
    for order_id in ("OLD-1", "OLD-2", "RECENT"):
        closed_order(store, order_id)
    store.reserve_plan("OPEN", "OPEN:A1", [package_reservation("OPEN-F1", "EAST", WIDGET=1)], "{}")
    for order_id in ("OLD-1", "OLD-2", "OPEN"):
        age(store, order_id)
    ledger_before = store.ledger("EAST", "WIDGET")

    purged = store.purge_closed_orders(CUTOFF, batch=1)  # one order per transaction

    assert purged.orders == 2
    assert purged.rows == {
        "reservations": 4, "allocations": 2, "shortfalls": 2, "backorders": 2,
        "event_deliveries": 2,
    }  # fmt: skip
    assert set(rows_of(store, "OLD-1").values()) == set(rows_of(store, "OLD-2").values()) == {0}
    assert all(rows_of(store, "RECENT").values())
    assert rows_of(store, "OPEN")["reservations"] == 1  # it still holds its unit
    assert store.find_allocation("OPEN", "OPEN:A1") == "{}"
    assert store.ledger("EAST", "WIDGET") == ledger_before  # the books are never touched
    assert store.check_ledger() == []


def test_a_second_pass_and_a_twin_process_delete_nothing_more(store: InventoryStore) -> None:
    closed_order(store, "OLD-1")
    age(store, "OLD-1")
    twin = InventoryStore(store.database_url)
    try:
        assert store.purge_closed_orders(CUTOFF).orders == 1
        again = twin.purge_closed_orders(CUTOFF)
    finally:
        twin.close()
    assert again.orders == 0 and not any(again.rows.values())


def test_an_order_with_one_recent_row_stays_whole(store: InventoryStore) -> None:
    closed_order(store, "OLD-1")
    age(store, "OLD-1")
    store.start_delivery("sub-2", "OLD-1:late", "order.shipped", "OLD-1")  # written today

    assert store.purge_closed_orders(CUTOFF).orders == 0
    assert all(rows_of(store, "OLD-1").values())


@pytest.mark.parametrize("batch", [1, 2, 500])
def test_every_batch_size_clears_everything_due(store: InventoryStore, batch: int) -> None:
    for n in range(5):
        closed_order(store, f"OLD-{n}")
        age(store, f"OLD-{n}")
    assert store.purge_closed_orders(CUTOFF, batch=batch).orders == 5
    assert store.purge_closed_orders(CUTOFF, batch=batch).orders == 0


def test_what_retention_deletes_is_gone_from_the_sqlite_file(store: InventoryStore) -> None:
    url = make_url(store.database_url)
    if url.get_backend_name() != "sqlite":
        return  # PostgreSQL's files are the server's (VACUUM reclaims them)
    closed_order(store, "OLD-1")
    store.reserve_plan("OLD-2", "OLD-2:A1", [], '{"plan": "remember-me-not"}')
    age(store, "OLD-2")
    store.purge_closed_orders(CUTOFF)
    store.close()  # a checkpoint: the WAL's pages reach the main file

    for path in Path(str(url.database)).parent.glob("store.db*"):
        assert b"remember-me-not" not in path.read_bytes(), path.name
