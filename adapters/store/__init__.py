"""The inventory store: stock, reservations and their ledger on SQLite or PostgreSQL."""

from adapters.store.errors import (
    AllocationKeyReused,
    InvalidQuantity,
    ReservationConflict,
    WouldUnderflow,
)
from adapters.store.inventory_store import InventoryStore
from adapters.store.views import (
    LedgerRow,
    MovementKind,
    PackageReservation,
    ReservationStatus,
    ReservationView,
    StockBalance,
)

__all__ = [
    "AllocationKeyReused",
    "InvalidQuantity",
    "InventoryStore",
    "LedgerRow",
    "MovementKind",
    "PackageReservation",
    "ReservationConflict",
    "ReservationStatus",
    "ReservationView",
    "StockBalance",
    "WouldUnderflow",
]
