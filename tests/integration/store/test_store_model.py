"""The store against a few lines of Python that model it: random sequences of every call
must leave both with the same figures, and the store's books balanced (SQLite only; the
SQL is the same on PostgreSQL, whose concurrency the other tests cover)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from adapters.store import InventoryStore, PackageReservation, WouldUnderflow
from domain.errors import OutOfStock
from tests.support.builders import small_network

LOCATIONS = ["EAST", "WEST"]
SKUS = ["WIDGET", "GADGET"]
_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="switchyard-store-"))
_TEMPLATE = _TEMPLATE_DIR / "template.db"
atexit.register(shutil.rmtree, _TEMPLATE_DIR, ignore_errors=True)


def _template() -> Path:
    """A migrated, loaded store file, copied for each run (migrating each time is slow)."""
    if not _TEMPLATE.exists():
        store = InventoryStore(f"sqlite:///{_TEMPLATE}")
        store.migrate()
        store.load_network(small_network(widgets=6, gadgets=4))
        store.close()
    return _TEMPLATE


class StoreMatchesModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="switchyard-run-"))
        shutil.copy(_template(), self.dir / "store.db")
        self.store = InventoryStore(f"sqlite:///{self.dir / 'store.db'}")
        self.on_hand = {("EAST", "WIDGET"): 6, ("EAST", "GADGET"): 4, ("WEST", "WIDGET"): 6}
        self.reserved = dict.fromkeys(self.on_hand, 0)
        self.open: dict[tuple[str, str], tuple[str, str, int]] = {}  # (order, f) -> loc, sku, q
        self.orders = 0

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _free(self, key: tuple[str, str]) -> int:
        return self.on_hand.get(key, 0) - self.reserved.get(key, 0)

    @rule(
        location=st.sampled_from(LOCATIONS),
        sku=st.sampled_from(SKUS),
        units=st.integers(1, 4),
        safety=st.integers(0, 2),
    )
    def reserve(self, location: str, sku: str, units: int, safety: int) -> None:
        self.orders += 1
        order_id, fulfillment_id = f"o{self.orders}", f"o{self.orders}-F1"
        package = PackageReservation(
            fulfillment_id=fulfillment_id,
            location_id=location,
            lines={sku: units},
            safety_stock={sku: safety},
        )
        key = (location, sku)
        fits = key in self.on_hand and self._free(key) - safety >= units
        try:
            self.store.reserve_plan(order_id, f"{order_id}:a", [package], "{}")
        except OutOfStock:
            assert not fits
            return
        assert fits
        self.reserved[key] += units
        self.open[(order_id, fulfillment_id)] = (location, sku, units)

    @precondition(lambda self: self.open)
    @rule(data=st.data(), ship=st.booleans())
    def settle(self, data: st.DataObject, ship: bool) -> None:
        order_id, fulfillment_id = data.draw(st.sampled_from(sorted(self.open)))
        location, sku, units = self.open.pop((order_id, fulfillment_id))
        self.reserved[(location, sku)] -= units
        if ship:
            assert self.store.commit_shipment(order_id, fulfillment_id) == units
            assert self.store.commit_shipment(order_id, fulfillment_id) == units
            self.on_hand[(location, sku)] -= units
        else:
            assert self.store.release(order_id, fulfillment_id, reason="test") == units
            assert self.store.release(order_id, fulfillment_id, reason="test") == 0

    @rule(location=st.sampled_from(LOCATIONS), sku=st.sampled_from(SKUS), units=st.integers(1, 5))
    def receive(self, location: str, sku: str, units: int) -> None:
        self.store.receive(location, sku, units, reference="PO", actor="test")
        self.on_hand[(location, sku)] = self.on_hand.get((location, sku), 0) + units
        self.reserved.setdefault((location, sku), 0)

    @rule(
        location=st.sampled_from(LOCATIONS),
        sku=st.sampled_from(SKUS),
        delta=st.integers(-5, 5).filter(bool),
        as_count=st.booleans(),
    )
    def correct(self, location: str, sku: str, delta: int, as_count: bool) -> None:
        key = (location, sku)
        target = self.on_hand.get(key, 0) + delta
        if as_count:
            target = max(target, 0)  # a count cannot be negative: count nothing instead
        allowed = target >= 0 and target >= self.reserved.get(key, 0)
        try:
            if as_count:
                self.store.count(location, sku, target, reason="cycle", actor="test")
            else:
                self.store.adjust(location, sku, delta, reason="fix", actor="test")
        except WouldUnderflow:
            assert not allowed
            return
        assert allowed
        self.on_hand[key] = target
        self.reserved.setdefault(key, 0)

    @invariant()
    def figures_agree(self) -> None:
        for (location, sku), on_hand in self.on_hand.items():
            balance = self.store.balance(location, sku)
            assert (balance.on_hand, balance.reserved) == (on_hand, self.reserved[(location, sku)])

    @invariant()
    def books_balance(self) -> None:
        assert self.store.check_ledger() == []


StoreMatchesModel.TestCase.settings = settings(
    max_examples=25, stateful_step_count=25, deadline=None
)
test_store_matches_its_model = StoreMatchesModel.TestCase
