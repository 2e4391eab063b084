"""``dom inventory check`` against the real stack, and a receipt waking a backordered order.

The stack (``dom up``) runs the textbook network with hand-played locations; the check
runs as users run it, a separate ``dom`` process pointed at the stack's data dir and
Temporal. Discrepancies are planted behind the stack's back through the store itself
(a reservation for an order that does not exist, an order's reservation released) and
through SQL (a balance the ledger does not explain).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from adapters.store import (
    InventoryStore,
    PackageReservation,
    ReservationStatus,
    ReservationView,
)
from domain.models import FulfillmentStatus
from starter.cli.inventory import compare
from tests.support.builders import SKINCARE_SET, fulfillment_view, order_body, order_view
from tests.support.data import E2E
from tests.support.http import play_location, wait_for
from tests.support.stack import Stack, start_stack, stop_stack


@dataclass
class Running:
    stack: Stack
    temporal_address: str

    @property
    def database_url(self) -> str:
        return f"sqlite:///{(self.stack.data_dir / 'switchyard.db').resolve()}"

    def check(self) -> subprocess.CompletedProcess[str]:
        """``dom inventory check``, as an operator runs it next to the stack."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOM_")}
        return subprocess.run(
            [
                sys.executable, "-m", "starter.cli", "inventory", "check",
                "--data-dir", str(self.stack.data_dir),
                "--temporal-address", self.temporal_address,
                "--recheck", "1",
            ],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("inventory-check")
    process, stack = start_stack(tmp, E2E / "network.yaml")
    args = [str(a) for a in process.args]  # type: ignore[union-attr]
    temporal = f"127.0.0.1:{args[args.index('--temporal-port') + 1]}"
    yield Running(stack, temporal)
    stop_stack(process, stack)
    assert process.returncode == 0, stack.log.read_text()


def _clean(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("clean")


@pytest.mark.e2e
def test_check_is_clean_after_normal_orders_and_reports_what_is_planted(
    running: Running,
) -> None:
    with running.stack.client() as http:
        # One order all the way to shipped, one left open at its location, one backordered.
        assert http.post("/orders", json=order_body("CK-1")).status_code == 202
        wait_for(http, "CK-1", lambda o: o["status"] == "fulfilling", "fulfilling")
        play_location(http, "SLC-3PL", "CK-1-F1", "1ZCK0001")
        wait_for(http, "CK-1", lambda o: o["status"] == "shipped", "shipped")
        assert http.post("/orders", json=order_body("CK-2")).status_code == 202
        open_order = wait_for(http, "CK-2", lambda o: o["status"] == "fulfilling", "fulfilling")
        [package] = open_order["fulfillments"]
        candles = [{"line_id": "1", "sku": "CANDLE-CEDAR", "quantity": 100}]
        assert http.post("/orders", json=order_body("CK-3", lines=candles)).status_code == 202
        wait_for(http, "CK-3", lambda o: o["status"] == "backordered", "backordered")

    _clean(running.check())

    store = InventoryStore(running.database_url)
    try:
        # A reservation for an order Temporal has never heard of: the ledger balances, so
        # only the cross-check with Temporal can see it.
        ghost = PackageReservation(
            fulfillment_id="GHOST-1-F1", location_id="NWK-DC", lines={"SKIN-SERUM": 2}
        )
        store.reserve_plan("GHOST-1", "GHOST-1:A1", [ghost], "{}", actor="test:planted")
        result = running.check()
        assert result.returncode == 1, result.stdout + result.stderr
        assert "ledger: ok" in result.stdout
        assert (
            "order GHOST-1, GHOST-1-F1, SKIN-SERUM: 2 reserved at NWK-DC for an order that is "
            "not open in Temporal (no such order; `dom inventory check --repair` frees it)"
        ) in result.stdout
        store.release("GHOST-1", reason="planted discrepancy removed", actor="test")

        # An open order whose units were released behind its back.
        store.release("CK-2", reason="planted", actor="test")
        result = running.check()
        assert result.returncode == 1
        assert "GHOST-1" not in result.stdout
        for sku in SKINCARE_SET:
            assert (
                f"order CK-2, CK-2-F1, {sku}: the open fulfillment should hold 1 at "
                f"{package['location_id']} but holds nothing"
            ) in result.stdout
        restore = PackageReservation(
            fulfillment_id="CK-2-F1",
            location_id=package["location_id"],
            lines=dict.fromkeys(SKINCARE_SET, 1),
        )
        store.reserve_plan("CK-2", "CK-2:restored", [restore], "{}", actor="test")

        # A balance the ledger does not explain.
        engine = sa.create_engine(running.database_url)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "UPDATE stock_levels SET on_hand = on_hand + 3 "
                    "WHERE location_id = 'PHX-STORE' AND sku = 'CANDLE-CEDAR'"
                )
            result = running.check()
            assert result.returncode == 1
            assert "ledger: 1 difference(s)" in result.stdout
            assert "orders: ok" in result.stdout  # CK-2 holds its units again
            assert "PHX-STORE/CANDLE-CEDAR: on_hand 6 but the ledger sums to 3" in result.stdout
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "UPDATE stock_levels SET on_hand = on_hand - 3 "
                    "WHERE location_id = 'PHX-STORE' AND sku = 'CANDLE-CEDAR'"
                )
        finally:
            engine.dispose()
    finally:
        store.close()
    _clean(running.check())


@pytest.mark.e2e
def test_a_receipt_wakes_the_backordered_order_at_once(running: Running) -> None:
    """CK-3 (100 candles, 53 in the network) waits; its own re-check is hours away."""
    with running.stack.client() as http:
        wait_for(http, "CK-3", lambda o: o["status"] == "backordered", "backordered")
        receipt = http.post(
            "/inventory/receipts",
            json={"location_id": "NWK-DC", "sku": "CANDLE-CEDAR", "quantity": 60,
                  "reference": "PO-CANDLES"},
        )  # fmt: skip
        assert receipt.status_code == 200, receipt.text
        assert receipt.json()["woken_orders"] == ["CK-3"]

        order = wait_for(http, "CK-3", lambda o: o["status"] == "fulfilling", "fulfilling", 20)
        assert [f["location_id"] for f in order["fulfillments"]] == ["NWK-DC"]
    _clean(running.check())


def _held(order_id: str, fid: str, sku: str, location: str, units: int) -> ReservationView:
    now = datetime.now(UTC)
    return ReservationView(
        order_id=order_id,
        fulfillment_id=fid,
        sku=sku,
        location_id=location,
        quantity=units,
        status=ReservationStatus.OPEN,
        allocation_key=None,
        created_at=now,
        updated_at=now,
    )


def test_compare_names_each_kind_of_difference() -> None:
    S = FulfillmentStatus
    orders = {
        "A": order_view(
            order_id="A",
            sku="W",
            quantity=3,
            fulfillments=[
                fulfillment_view("A-F1", "EAST", S.ACCEPTED, {"W": 2}),  # held right
                fulfillment_view("A-F2", "WEST", S.PICKED, {"W": 1}),  # holds nothing
                fulfillment_view("A-F3", "EAST", S.SHIPPED, {"W": 1}),  # closed, yet holds
                fulfillment_view("A-F4", "EAST", S.DISPATCHED, {"W": 2}),  # holds the wrong amount
            ],
        )
    }
    held = [
        _held("A", "A-F1", "W", "EAST", 2),
        _held("A", "A-F3", "W", "EAST", 1),
        _held("A", "A-F4", "W", "WEST", 1),
        _held("Z", "Z-F1", "W", "EAST", 5),
    ]

    assert compare(held, orders, {"Z": "completed"}) == [
        "order A, A-F2, W: the open fulfillment should hold 1 at WEST but holds nothing",
        "order A, A-F3, W: 1 reserved at EAST but the fulfillment is shipped",
        "order A, A-F4, W: the open fulfillment should hold 2 at EAST but holds 1 at WEST",
        "order Z, Z-F1, W: 5 reserved at EAST for an order that is not open in Temporal "
        "(completed)",
    ]
    held_right = orders["A"].fulfillments[:1]
    only_f1 = order_view(order_id="A", sku="W", quantity=3, fulfillments=held_right)
    assert compare(held[:1], {"A": only_f1}, {}) == []
