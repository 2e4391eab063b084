"""``InventoryStore``: the one object the rest of Switchyard calls for stock.

Synchronous and thread-safe (``TransactionalStore``, adapters/store/transactions.py: a
unit of work per call, run again on a deadlock), so Temporal's sync activities and
FastAPI's sync routes can share one instance. Every method is one transaction, and every
movement of stock writes its ledger row in that same transaction.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from adapters.store import (
    catalogue,
    customer_keys,
    movements,
    reconciliation,
    reservations,
    retention,
    shortfalls,
    subscriptions,
    tokens,
)
from adapters.store.retention import Purged
from adapters.store.return_book import ReturnBook
from adapters.store.subscriptions import DeliveryRecord, SubscriptionRecord
from adapters.store.transactions import TransactionalStore
from adapters.store.unit_of_work import UnitOfWork
from adapters.store.views import (
    CustomerKeyRecord,
    LedgerRow,
    LocationChange,
    MovementKind,
    PackageReservation,
    ReservationStatus,
    ReservationView,
    StockBalance,
    TokenRecord,
)
from domain.access import TokenGrant
from domain.models import Location, Network, Sku


class InventoryStore(ReturnBook, TransactionalStore):
    """Stock levels, reservations and their ledger, on SQLite or PostgreSQL."""

    # --- the network ----------------------------------------------------------------

    def load_network(self, network: Network, *, actor: str = "system") -> bool:
        """Load ``network`` into a store without locations and return True; else change
        nothing and return False. Initial stock is written as 'receipt' ledger rows."""
        try:
            return self._write(lambda uow: catalogue.load_network(uow, network, actor))
        except IntegrityError:
            # Another process loaded a network at the same moment (PostgreSQL); it won.
            if self._read(lambda uow: uow.catalogue.has_locations()):
                return False
            raise

    def network(self) -> Network:
        """The network as stored now, with ``Location.stock`` = on hand."""
        return self._read(catalogue.network, snapshot=True)

    def network_version(self) -> int:
        """A counter that grows whenever SKUs or locations change; cache ``network()`` on it."""
        return self._read(lambda uow: uow.catalogue.network_version())

    def known_skus(self) -> set[str]:
        return self._read(lambda uow: uow.catalogue.sku_ids())

    def add_sku(self, sku: Sku) -> bool:
        """Add a SKU to the catalogue; False if it exists already (then nothing changes)."""
        return self._write(lambda uow: catalogue.add_sku(uow, sku))

    def update_sku(self, sku: str, **changes: Any) -> Sku:
        """Change a SKU's ``name``, ``image_url`` or ``weight_lb``; ``UnknownSku`` if none."""
        return self._write(lambda uow: catalogue.update_sku(uow, sku, changes))

    def add_location(self, location: Location, *, actor: str = "system") -> bool:
        """Add a location, its stock as receipts; False if the id is taken (nothing changes)."""
        return self._write(lambda uow: catalogue.add_location(uow, location, actor))

    def update_location(
        self, location_id: str, *, actor: str = "system", **changes: Any
    ) -> Location:
        """Change a location's fields (``active=False`` takes it out of service at once for
        anyone reading the network after this returns), noting ``actor`` in its history.
        Raises ``UnknownLocation``."""
        return self._write(lambda uow: catalogue.update_location(uow, location_id, changes, actor))

    def location_history(self, location_id: str, *, limit: int = 100) -> list[LocationChange]:
        """Who changed the location's settings, and to what, the newest first."""
        return self._read(lambda uow: catalogue.location_history(uow, location_id, limit))

    # --- reading stock --------------------------------------------------------------

    def stock_snapshot(self, skus: Iterable[str]) -> dict[str, dict[str, int]]:
        """sku -> location_id -> on_hand - reserved, for the rows where that is positive.

        Safety stock is not subtracted: it is a routing rule (see ``reserve_plan``)."""
        wanted = list(skus)

        def work(uow: UnitOfWork) -> dict[str, dict[str, int]]:
            snapshot: dict[str, dict[str, int]] = {}
            for sku, location_id, units in uow.inventory.unreserved(wanted):
                snapshot.setdefault(sku, {})[location_id] = units
            return snapshot

        return self._read(work)

    def balances(self, sku: str) -> list[StockBalance]:
        """Every location's balance of ``sku`` (zero rows included), by location id."""
        return self._read(lambda uow: [StockBalance.of(r) for r in uow.inventory.balances_of(sku)])

    def location_balances(
        self,
        location_id: str,
        *,
        after_sku: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[StockBalance]:
        """The SKU balances at ``location_id``, by SKU; page with ``after_sku`` or ``offset``."""
        return self._read(
            lambda uow: [
                StockBalance.of(r)
                for r in uow.inventory.balances_at(
                    location_id, after_sku=after_sku, offset=offset, limit=limit
                )
            ]
        )

    def count_location_balances(self, location_id: str) -> int:
        """How many SKU balances ``location_id`` has (zero rows included)."""
        return self._read(lambda uow: uow.inventory.count_balances_at(location_id))

    def balance(self, location_id: str, sku: str) -> StockBalance:
        """One balance; zeros when the location has never held the SKU."""

        def work(uow: UnitOfWork) -> StockBalance:
            row = uow.inventory.stock(location_id, sku)
            if row is None:
                return StockBalance(location_id=location_id, sku=sku, on_hand=0, reserved=0)
            return StockBalance.of(row)

        return self._read(work)

    # --- reservations ---------------------------------------------------------------

    def reserve_plan(
        self,
        order_id: str,
        allocation_key: str,
        packages: list[PackageReservation],
        decision_json: str,
        *,
        actor: str = "system",
    ) -> str:
        """Reserve every line of every package, or nothing; idempotent on ``allocation_key``.

        A key seen before returns the first call's ``decision_json`` and changes nothing.
        Raises ``OutOfStock`` (with ``location_id`` and ``sku``) when a line does not fit
        in ``on_hand - reserved - safety_stock``; then nothing at all is reserved.
        """
        lines = reservations.plan_lines(packages)
        try:
            return self._write(
                lambda uow: reservations.reserve_plan(
                    uow, order_id, allocation_key, lines, decision_json, actor
                )
            )
        except reservations.LostAllocationRace:
            answer = self._read(
                lambda uow: reservations.first_answer(uow, order_id, allocation_key)
            )
            assert answer is not None, "the allocation that won the race is committed"
            return answer

    def release(
        self,
        order_id: str,
        fulfillment_id: str | None = None,
        *,
        reason: str,
        actor: str = "system",
    ) -> int:
        """Release the open reservations of one fulfillment, or of the whole order.

        Returns the units released; releasing nothing is a no-op (compensation is retried).
        """
        return sum(
            self.release_by_sku(order_id, fulfillment_id, reason=reason, actor=actor).values()
        )

    def release_by_sku(
        self,
        order_id: str,
        fulfillment_id: str | None = None,
        *,
        reason: str,
        actor: str = "system",
    ) -> dict[str, int]:
        """``release``, answering the units released by SKU (to wake orders waiting for them)."""
        return self._write(
            lambda uow: reservations.release(uow, order_id, fulfillment_id, reason, actor)
        )

    def commit_shipment(
        self,
        order_id: str,
        fulfillment_id: str,
        *,
        actor: str = "system",
        lines: dict[str, int] | None = None,
    ) -> int:
        """The fulfillment shipped: its open reservations leave on_hand and reserved.

        ``lines`` (sku -> units shipped, each at most what was reserved) records a short
        shipment; the unshipped rest is released. Idempotent: a repeated call changes
        nothing and returns the same figure, the units shipped for the fulfillment.
        """
        shipped = dict(lines) if lines is not None else None
        return self._write(
            lambda uow: reservations.commit_shipment(uow, order_id, fulfillment_id, shipped, actor)
        )

    def open_reservations(self, order_id: str | None = None) -> list[ReservationView]:
        """Open reservations (of one order, or all), by location and SKU."""
        return self._read(
            lambda uow: [
                ReservationView.of(r)
                for r in uow.inventory.reservations(order_id, status=ReservationStatus.OPEN)
            ]
        )

    def reservations(self, order_id: str) -> list[ReservationView]:
        """Every reservation of an order, whatever its status."""
        return self._read(
            lambda uow: [ReservationView.of(r) for r in uow.inventory.reservations(order_id)]
        )

    def record_shortfall(
        self,
        order_id: str,
        fulfillment_id: str,
        location_id: str,
        missing: dict[str, int],
        *,
        key: str,
        actor: str,
    ) -> None:
        """A picker found fewer units than reserved (``missing``: sku -> units not found).

        One transaction, idempotent on ``key``: the fulfillment's open reservation of each
        SKU shrinks by the missing units (released at zero) and on_hand drops by them (an
        adjustment, reason "short pick", referencing the fulfillment, by ``actor``).
        """
        wanted = dict(missing)
        try:
            self._write(
                lambda uow: shortfalls.record_shortfall(
                    uow, order_id, fulfillment_id, location_id, wanted, key, actor
                )
            )
        except shortfalls.ShortfallAlreadyRecorded:
            return  # its twin applied it

    def record_backorder(self, order_id: str, skus: list[str]) -> None:
        """The SKUs ``order_id`` now waits for (replacing what it waited for before; an
        empty list: it waits for nothing). Idempotent."""

        def work(uow: UnitOfWork) -> None:
            wanted = set(skus)
            noted = uow.inventory.backordered_skus(order_id)
            uow.inventory.remove_backorders(order_id, noted - wanted)
            uow.inventory.add_backorders(order_id, wanted - noted)

        self._write(work)

    def backordered_orders(self, skus: Iterable[str]) -> list[str]:
        """Orders waiting for any of ``skus``, the longest-waiting first."""
        wanted = list(skus)
        return self._read(lambda uow: uow.inventory.orders_waiting_for(wanted))

    def orders_backordered(self) -> int:
        """How many orders wait for stock now (a metric: ``switchyard_backorders_waiting``)."""
        return self._read(lambda uow: uow.inventory.orders_waiting())

    def find_allocation(self, order_id: str, allocation_key: str) -> str | None:
        """The decision already stored under ``allocation_key`` (a retried allocation), or None."""
        return self._read(lambda uow: reservations.first_answer(uow, order_id, allocation_key))

    def orders_today(self) -> dict[str, int]:
        """location_id -> distinct orders with a reservation made there since UTC midnight
        that was not released (for daily capacity)."""
        midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return self._read(lambda uow: uow.inventory.orders_reserved_since(midnight))

    # --- stock movements ------------------------------------------------------------

    def receive(
        self,
        location_id: str,
        sku: str,
        quantity: int,
        *,
        reference: str | None = None,
        actor: str = "system",
    ) -> StockBalance:
        """Units arrived: on_hand += quantity. Raises ``UnknownLocation``/``UnknownSku``."""
        return self._write(
            lambda uow: StockBalance.of(
                movements.receive(uow, location_id, sku, quantity, reference, actor)
            )
        )

    def adjust(
        self,
        location_id: str,
        sku: str,
        delta: int,
        *,
        reason: str,
        actor: str = "system",
        reference: str | None = None,
    ) -> StockBalance:
        """on_hand += delta; ``WouldUnderflow`` if on_hand would drop below reserved or 0."""
        return self._write(
            lambda uow: StockBalance.of(
                movements.adjust(uow, location_id, sku, delta, reason, reference, actor)
            )
        )

    def count(
        self,
        location_id: str,
        sku: str,
        on_hand: int,
        *,
        reason: str,
        actor: str = "system",
        reference: str | None = None,
    ) -> StockBalance:
        """A cycle count sets on_hand; the ledger row holds the difference. Same floor rule."""
        return self._write(
            lambda uow: StockBalance.of(
                movements.count(uow, location_id, sku, on_hand, reason, reference, actor)
            )
        )

    def count_many(
        self,
        location_id: str,
        counts: dict[str, int],
        *,
        reason: str,
        actor: str = "system",
        reference: str | None = None,
    ) -> list[tuple[StockBalance, int]]:
        """A bulk sync from a WMS or store system: all counts in one transaction, or none.

        Returns (new balance, change in on_hand) for each SKU counted, by SKU.
        """

        def work(uow: UnitOfWork) -> list[tuple[StockBalance, int]]:
            changes = []
            for sku, units in sorted(counts.items()):
                before = uow.inventory.stock(location_id, sku)
                was = before.on_hand if before is not None else 0  # the row object is refreshed
                row = movements.count(uow, location_id, sku, units, reason, reference, actor)
                delta = row.on_hand - was
                changes.append((StockBalance.of(row), delta))
            return changes

        return self._write(work)

    def ledger(
        self, location_id: str, sku: str, *, limit: int = 100, before_id: int | None = None
    ) -> list[LedgerRow]:
        """The movements of one balance, newest first; page with ``before_id``."""
        return self._read(
            lambda uow: [
                LedgerRow.of(r)
                for r in uow.inventory.ledger(location_id, sku, limit=limit, before_id=before_id)
            ]
        )

    def location_ledger(
        self,
        location_id: str,
        *,
        limit: int = 100,
        since: datetime | None = None,
        kinds: Iterable[MovementKind] | None = None,
    ) -> list[LedgerRow]:
        """The movements of every SKU at one location, newest first: the ``limit`` latest,
        at or after ``since``, of ``kinds`` only (all when None)."""
        wanted = None if kinds is None else [k.value for k in kinds]
        return self._read(
            lambda uow: [
                LedgerRow.of(r)
                for r in uow.inventory.location_ledger(
                    location_id, limit=limit, since=since, kinds=wanted
                )
            ]
        )

    # --- settings (the meta table) -----------------------------------------------

    def read_setting(self, key: str) -> Any:
        """A JSON value kept under ``key`` (None when unset)."""
        return self._read(lambda uow: uow.catalogue.get_meta(key))

    def append_setting_version(
        self, current_key: str, key_for: Callable[[int], str], value: Any
    ) -> int:
        """Keep ``value`` under the next version number and make it current, in one
        transaction; returns the version. Two writers never get the same number (the
        counter row is locked; the loser of a race to create it retries)."""

        def work(uow: UnitOfWork) -> int:
            version = uow.catalogue.bump_counter(current_key)
            uow.catalogue.set_meta(key_for(version), value)
            return version

        for attempt in range(10):
            try:
                return self._write(work)
            except IntegrityError:
                if attempt == 9:
                    raise
        raise AssertionError("unreachable")

    def rewrite_allocations_once(
        self, rewrite: Callable[[str], str], *, done_key: str, batch: int = 500
    ) -> int:
        """Pass every stored allocation answer through ``rewrite`` (idempotent), ``batch``
        per transaction, unless the meta key ``done_key`` says it was done; then set it.
        Returns the rows changed. Safe beside another process doing the same."""
        if self.read_setting(done_key):
            return 0
        after, changed = "", 0
        while True:
            last, n = self._write(
                functools.partial(
                    reservations.rewrite_allocations, rewrite=rewrite, after=after, limit=batch
                )
            )
            changed += n
            if last is None:
                break
            after = last
        with contextlib.suppress(IntegrityError):  # another process marked it first
            self._write(lambda uow: uow.catalogue.set_meta(done_key, True))
        return changed

    def check_ledger(self) -> list[str]:
        """Discrepancies between balances, ledger and open reservations; [] when clean."""
        return self._read(reconciliation.discrepancies, snapshot=True)

    # --- API tokens ------------------------------------------------------------------

    def issue_token(self, grant: TokenGrant, token_digest: str, *, created_by: str) -> TokenRecord:
        """Keep a new token's digest; ``InvalidToken`` if a live token has that name."""
        return self._write(lambda uow: tokens.issue(uow, grant, token_digest, created_by))

    def token(self, token_digest: str) -> TokenRecord | None:
        """The token with this digest, live or not."""
        return self._read(lambda uow: tokens.find(uow, token_digest))

    def tokens(self) -> list[TokenRecord]:
        """Every token issued, the newest first (digests only)."""
        return self._read(tokens.listing)

    def revoke_token(self, name: str) -> TokenRecord | None:
        """Revoke the live token named ``name``; None if there is none."""
        return self._write(lambda uow: tokens.revoke(uow, name))

    # --- customers' data keys ---------------------------------------------------------

    def customer_key(self, customer_ref: str) -> CustomerKeyRecord | None:
        """The customer's key, by their reference; None if they have none (or were erased)."""
        return self._read(lambda uow: customer_keys.by_customer(uow, customer_ref))

    def customer_key_by_id(self, key_id: str) -> CustomerKeyRecord | None:
        """The key with this id; None once its customer was erased."""
        return self._read(lambda uow: customer_keys.by_id(uow, key_id))

    def add_customer_key(
        self, key: CustomerKeyRecord, terms: set[str] | None = None
    ) -> CustomerKeyRecord:
        """Keep ``key`` (and its search ``terms``), unless its customer has a key already:
        then that one (two first orders of one customer placed at once share one key)."""

        def add(uow: UnitOfWork) -> None:
            customer_keys.add(uow, key)
            customer_keys.add_terms(uow, key.key_id, terms or set())

        try:
            self._write(add)
        except IntegrityError:
            existing = self.customer_key(key.customer_ref)
            if existing is None:  # the id collided (128 random bits: never in practice)
                raise
            return existing
        return key

    def customer_keys_wrapped_by_other_than(
        self, ring_key_id: str, limit: int = 500
    ) -> list[CustomerKeyRecord]:
        """Up to ``limit`` customer keys not yet wrapped by the ring key ``ring_key_id``."""
        return self._read(lambda uow: customer_keys.wrapped_by_other_than(uow, ring_key_id, limit))

    def rewrap_customer_key(self, key_id: str, old: str, new: str) -> bool:
        """Swap one key's wrapping (``old`` for ``new``); False if it changed meanwhile
        (rewrapped by a twin, or erased)."""
        return self._write(lambda uow: customer_keys.rewrap(uow, key_id, old, new))

    def index_customer(self, key_id: str, terms: set[str]) -> None:
        """Keep the customer's search terms (hashed pieces of their name and e-mail)."""
        self._write(lambda uow: customer_keys.add_terms(uow, key_id, terms))

    def customers_with_terms(self, terms: set[str], limit: int = 200) -> list[str]:
        """Up to ``limit`` customers' key ids indexed under every one of ``terms``."""
        return self._read(lambda uow: customer_keys.keys_with_terms(uow, terms, limit))

    def erase_customer_key(self, customer_ref: str) -> list[str]:
        """Delete the customer's key for good; the ids deleted. On SQLite the write-ahead
        log is truncated too, so no copy of the key is left in the database's files."""
        erased = self._write(lambda uow: customer_keys.erase(uow, customer_ref))
        if erased and self._engine.dialect.name == "sqlite":
            self._truncate_wal()
        return erased

    def _truncate_wal(self) -> None:
        """Copy the write-ahead log into the database file and empty it (outside any
        transaction). A reader in the middle of a read can keep it from emptying: then the
        next checkpoint does it, as SQLite checkpoints on its own every 1000 pages."""
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        finally:
            connection.close()

    # --- event subscriptions --------------------------------------------------------

    def create_subscription(self, record: SubscriptionRecord) -> SubscriptionRecord:
        return self._write(lambda uow: subscriptions.create(uow, record))

    def subscriptions(self) -> list[SubscriptionRecord]:
        """Live subscriptions, the oldest first."""
        return self._read(subscriptions.live)

    def subscription(self, subscription_id: str) -> SubscriptionRecord | None:
        """A subscription, live or deleted; None if there never was one."""
        return self._read(lambda uow: subscriptions.find(uow, subscription_id))

    def delete_subscription(self, subscription_id: str) -> SubscriptionRecord | None:
        return self._write(lambda uow: subscriptions.delete(uow, subscription_id))

    def start_delivery(
        self, subscription_id: str, event_id: str, event_type: str, order_id: str
    ) -> DeliveryRecord:
        """The delivery's record (created ``pending`` the first time; idempotent)."""
        return self._write(
            lambda uow: subscriptions.start_delivery(
                uow, subscription_id, event_id, event_type, order_id
            )
        )

    def record_delivery_attempt(
        self, subscription_id: str, event_id: str, error: str | None, *, final: bool = False
    ) -> DeliveryRecord:
        return self._write(
            lambda uow: subscriptions.record_attempt(
                uow, subscription_id, event_id, error, final=final
            )
        )

    def deliveries(self, subscription_id: str, limit: int = 100) -> list[DeliveryRecord]:
        """A subscription's deliveries, the newest first."""
        return self._read(lambda uow: subscriptions.deliveries(uow, subscription_id, limit))

    # --- retention ------------------------------------------------------------------

    def purge_closed_orders(self, cutoff: datetime, *, batch: int = 500) -> Purged:
        """Delete the rows of orders closed before ``cutoff`` (no open reservation, nothing
        changed since), ``batch`` orders per transaction; the ledger is never touched.
        Idempotent, and safe beside another process doing the same."""
        purged = Purged()
        while True:

            def one_batch(uow: UnitOfWork) -> tuple[int, dict[str, int]]:
                order_ids = retention.closed_orders(uow, cutoff, batch)
                if not order_ids:
                    return 0, {}
                return len(order_ids), retention.delete_orders(uow, order_ids, cutoff)

            orders, rows = self._write(one_batch)
            purged = purged.plus(orders, rows)
            if orders < batch or not any(rows.values()):
                return purged
