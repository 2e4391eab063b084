"""The ports the service layer depends on, as ``typing.Protocol``s.

Services are typed against these, never against the concrete adapters, so a test can hand
them a small fake and the adapters can change shape behind them. Each is satisfied
structurally: ``starter.gateway.orders.OrderGateway`` is an ``OrderGateway``,
``adapters.store.InventoryStore`` is every store port here, ``adapters.network_cache.NetworkCache``
is a ``NetworkCatalog``. A port lists only what services, routes and console pages call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from domain.access import TokenGrant
from domain.checkout import OrderRequest
from domain.fulfillment import LocationEvent
from domain.holds import HoldRelease, HoldRequest
from domain.models import Location, Network, OrderStatus, PlacedOrder, Sku
from domain.orders import (
    CancelRequest,
    EventReceipt,
    HoldResult,
    OrderSummary,
    OrderView,
    RerouteRequest,
    RerouteResult,
)
from domain.personal import Personal, SealedPersonal

if TYPE_CHECKING:  # the types the adapters answer with; nothing of theirs runs here
    from temporalio.client import Client

    from adapters.store.retention import Purged
    from adapters.store.subscriptions import DeliveryRecord, SubscriptionRecord
    from adapters.store.views import (
        LedgerRow,
        LocationChange,
        MovementKind,
        PackageReservation,
        ReservationView,
        StockBalance,
        TokenRecord,
    )


# --- customers' personal data ----------------------------------------------------------------


class PersonalVault(Protocol):
    """Customers' personal data under their own keys (``adapters.personal_keys``)."""

    async def seal(self, email: str, personal: Personal) -> SealedPersonal:
        """``personal`` sealed under the customer's key (made on their first order)."""
        ...

    async def open(self, sealed: SealedPersonal) -> Personal | None:
        """What ``sealed`` holds; None once its customer was erased."""
        ...

    async def search_value(self, email: str) -> str | None:
        """The customer's e-mail as their orders' search attribute holds it; None if
        they have no key (never ordered since keys came in, or erased)."""
        ...

    async def erase(self, email: str) -> list[str]:
        """Destroy the customer's key; the ids destroyed."""
        ...

    async def search_values_matching(self, text: str, limit: int = ...) -> list[str]:
        """The search values of customers whose name or e-mail may hold ``text``."""
        ...


# --- the orders, in Temporal -----------------------------------------------------------------


class StockListeners(Protocol):
    """Who is told that availability of some SKUs rose: the orders backordered on them."""

    async def stock_arrived(self, order_ids: list[str], skus: list[str]) -> int:
        """Wake ``order_ids``: availability of ``skus`` went up. Returns the orders told."""
        ...


class OrderReader(Protocol):
    """Reads one order's state."""

    async def get_order(self, order_id: str, *, wait: timedelta | None = None) -> OrderView:
        """The order (open or closed); ``UnknownOrder`` if none; ``wait``: a long poll."""
        ...


class OrderGateway(OrderReader, StockListeners, Protocol):
    """The orders: start them, find and read them, and the operator's and locations'
    updates to them (``starter.gateway.orders.OrderGateway`` over Temporal)."""

    @property
    def client(self) -> Client:
        """The Temporal client (the repair asks it how a closed order's workflow ended)."""
        ...

    async def place_order(
        self,
        order: OrderRequest | PlacedOrder,
        *,
        placed_by: str = ...,
        refused: str | None = ...,
        read_back: bool = ...,
        subscribed: list[str] | None = ...,
    ) -> tuple[OrderStatus | None, bool]:
        """Start the order's workflow: (status, created); same id and another body: conflict."""
        ...

    async def find_orders(
        self,
        *,
        status: OrderStatus | None = ...,
        customer_email: str | None = ...,
        location_id: str | None = ...,
        sku: str | None = ...,
        placed_after: datetime | None = ...,
        text: str | None = ...,
        limit: int = ...,
    ) -> list[OrderSummary]:
        """Orders matching every filter given, newest first (eventually consistent);
        ``text``: an order id in any case, or part of a customer's name or e-mail."""
        ...

    async def count_orders_by_status(self) -> dict[OrderStatus, int]:
        """How many orders Temporal's visibility holds in each status."""
        ...

    async def reroute(self, order_id: str, request: RerouteRequest) -> RerouteResult:
        """Move the order's open packages; refused (409) when there is nothing to move."""
        ...

    async def cancel(self, order_id: str, request: CancelRequest) -> OrderView:
        """Cancel the order everywhere; refused (409) once something shipped."""
        ...

    async def hold(
        self, order_id: str, request: HoldRequest, *, request_id: str | None = None
    ) -> HoldResult:
        """Hold what the order has not dispatched; refused (409) when nothing is left."""
        ...

    async def release_hold(
        self, order_id: str, release: HoldRelease, *, request_id: str | None = None
    ) -> HoldResult:
        """Lift one hold; refused (409) when the order has none for that reason."""
        ...

    async def report_event(
        self, location_id: str, fulfillment_id: str, event: LocationEvent, *, actor: str
    ) -> EventReceipt:
        """Deliver a location's event to the package's order."""
        ...

    async def customer_orders(self, email: str) -> tuple[list[OrderSummary], list[OrderSummary]]:
        """The customer's orders: (those under their own key, those from before keys)."""
        ...


# --- the network ------------------------------------------------------------------------------


class NetworkCatalog(Protocol):
    """The network as last read from the store (a cache: ``adapters.network_cache``)."""

    def network(self) -> Network:
        """The whole network: locations, SKUs, settings."""
        ...

    def skus(self) -> frozenset[str]:
        """The SKUs in the catalogue."""
        ...

    def location(self, location_id: str) -> Location | None:
        """One location, or None if the network has none by that id."""
        ...

    def has_seen_location(self, location_id: str) -> bool:
        """Whether the last network read had this location (no store read)."""
        ...


class SkuBook(Protocol):
    """The catalogue's SKUs as stored."""

    def add_sku(self, sku: Sku) -> bool:
        """Add a SKU; False if its code is taken (nothing changes)."""
        ...

    def update_sku(self, sku: str, **changes: Any) -> Sku:
        """Change a SKU's name, picture or weight; ``UnknownSku`` if none."""
        ...


class LocationBook(Protocol):
    """The network's locations as stored, with the history of their settings."""

    def add_location(self, location: Location, *, actor: str = ...) -> bool:
        """Add a location, its stock as receipts; False if the id is taken."""
        ...

    def update_location(self, location_id: str, *, actor: str = ..., **changes: Any) -> Location:
        """Change a location's settings, noting ``actor`` in its history."""
        ...

    def location_history(self, location_id: str, *, limit: int = ...) -> list[LocationChange]:
        """Who changed the location's settings, when, and to what, newest first."""
        ...


# --- the inventory store ----------------------------------------------------------------------


class StockReads(Protocol):
    """What is on the shelves, reserved and moved: read only."""

    def stock_snapshot(self, skus: Iterable[str]) -> dict[str, dict[str, int]]: ...

    def orders_today(self) -> dict[str, int]: ...

    def balances(self, sku: str) -> list[StockBalance]: ...

    def location_balances(
        self,
        location_id: str,
        *,
        after_sku: str | None = ...,
        offset: int = ...,
        limit: int | None = ...,
    ) -> list[StockBalance]: ...

    def count_location_balances(self, location_id: str) -> int: ...

    def ledger(
        self, location_id: str, sku: str, *, limit: int = ..., before_id: int | None = ...
    ) -> list[LedgerRow]: ...

    def open_reservations(self, order_id: str | None = ...) -> list[ReservationView]: ...

    def location_ledger(
        self,
        location_id: str,
        *,
        limit: int = ...,
        since: datetime | None = ...,
        kinds: Iterable[MovementKind] | None = ...,
    ) -> list[LedgerRow]: ...


class Backorders(Protocol):
    """Which orders wait for which SKUs."""

    def record_backorder(self, order_id: str, skus: list[str]) -> None: ...

    def backordered_orders(self, skus: Iterable[str]) -> list[str]: ...


class Reservations(Backorders, Protocol):
    """An order's units: reserved atomically, released, shipped, short-picked."""

    def find_allocation(self, order_id: str, allocation_key: str) -> str | None: ...

    def reserve_plan(
        self,
        order_id: str,
        allocation_key: str,
        packages: list[PackageReservation],
        decision_json: str,
        *,
        actor: str = ...,
    ) -> str: ...

    def release_by_sku(
        self,
        order_id: str,
        fulfillment_id: str | None = ...,
        *,
        reason: str,
        actor: str = ...,
    ) -> dict[str, int]: ...

    def commit_shipment(
        self,
        order_id: str,
        fulfillment_id: str,
        *,
        actor: str = ...,
        lines: dict[str, int] | None = ...,
    ) -> int: ...

    def record_shortfall(
        self,
        order_id: str,
        fulfillment_id: str,
        location_id: str,
        missing: dict[str, int],
        *,
        key: str,
        actor: str,
    ) -> None: ...


class StockMovements(Backorders, Protocol):
    """Units that arrive, are found or lost, or are counted: each a ledger row."""

    def receive(
        self,
        location_id: str,
        sku: str,
        quantity: int,
        *,
        reference: str | None = ...,
        actor: str = ...,
    ) -> StockBalance: ...

    def adjust(
        self,
        location_id: str,
        sku: str,
        delta: int,
        *,
        reason: str,
        actor: str = ...,
        reference: str | None = ...,
    ) -> StockBalance: ...

    def count_many(
        self,
        location_id: str,
        counts: dict[str, int],
        *,
        reason: str,
        actor: str = ...,
        reference: str | None = ...,
    ) -> list[tuple[StockBalance, int]]: ...


class ReservationStore(StockReads, Reservations, Protocol):
    """Stock read and reserved: what allocating (live stock, today's orders, the
    reservation) and a repair (who holds units, their release) need."""


class InventoryStore(ReservationStore, StockMovements, Protocol):
    """The inventory store whole, for a service that reads and moves stock alike."""


class DeliveryBook(Protocol):
    """Event subscriptions, and each subscriber's delivery of each event with its attempts."""

    def subscriptions(self) -> list[SubscriptionRecord]:
        """Live subscriptions, the oldest first."""
        ...

    def start_delivery(
        self, subscription_id: str, event_id: str, event_type: str, order_id: str
    ) -> DeliveryRecord:
        """The delivery's record (created ``pending`` the first time; idempotent)."""
        ...

    def record_delivery_attempt(
        self, subscription_id: str, event_id: str, error: str | None, *, final: bool = ...
    ) -> DeliveryRecord:
        """One attempt's outcome (``error`` None: delivered); ``final``: no more attempts."""
        ...


class ClosedOrders(Protocol):
    """The store's rows of closed orders, which retention deletes (the ledger stays)."""

    def purge_closed_orders(self, cutoff: datetime, *, batch: int = ...) -> Purged:
        """Delete the rows of orders closed before ``cutoff``; idempotent."""
        ...


class StoredAnswers(Protocol):
    """The allocations' stored answers, rewritten in place once (customer data removed)."""

    def rewrite_allocations_once(
        self, rewrite: Callable[[str], str], *, done_key: str, batch: int = ...
    ) -> int: ...


class TokenBook(Protocol):
    """API tokens, kept as digests."""

    def issue_token(
        self, grant: TokenGrant, token_digest: str, *, created_by: str
    ) -> TokenRecord: ...

    def token(self, token_digest: str) -> TokenRecord | None: ...

    def tokens(self) -> list[TokenRecord]: ...
