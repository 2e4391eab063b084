"""Retention: closed orders' store rows are kept ``DOM_RETENTION_DAYS`` days, then deleted.

What goes and what stays is the store's rule (``adapters.store.retention``: no open
reservation, nothing changed since the cutoff; never the ledger). This module says when:
``purge`` runs one pass now (``dom retention run``), ``RetentionSweeper`` runs one at
start and then every ``every_seconds`` in each worker. Passes are idempotent, so several
workers sweeping the same store only repeat each other's no-ops.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from adapters.store.retention import Purged
from services.ports import ClosedOrders

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetentionSchedule:
    """How long closed orders' rows are kept, and how often a worker deletes the expired."""

    days: int = 90
    """0: kept forever (no pass runs)."""
    every_seconds: float = 3600.0
    batch: int = 500
    """Orders deleted per transaction: a pass never holds the database for long."""

    def cutoff(self, now: datetime | None = None) -> datetime:
        """Orders unchanged since before this instant are due."""
        return (now or datetime.now(UTC)) - timedelta(days=self.days)


def purge(store: ClosedOrders, schedule: RetentionSchedule, now: datetime | None = None) -> Purged:
    """One retention pass now (none when ``days`` is 0); what it deleted."""
    if schedule.days <= 0:
        return Purged()
    purged = store.purge_closed_orders(schedule.cutoff(now), batch=schedule.batch)
    if purged.orders:
        log.info(
            "retention: deleted the store rows of %d orders closed more than %d days ago (%s)",
            purged.orders,
            schedule.days,
            ", ".join(f"{table} {n}" for table, n in sorted(purged.rows.items()) if n),
        )
    return purged


class RetentionSweeper:
    """A worker's background retention: a pass at start, then one every ``every_seconds``.
    A failed pass is logged and tried again at the next turn."""

    def __init__(self, store: ClosedOrders, schedule: RetentionSchedule) -> None:
        self._store = store
        self.schedule = schedule

    async def run(self) -> None:
        if self.schedule.days <= 0:
            return
        while True:
            try:
                await asyncio.to_thread(purge, self._store, self.schedule)
            except Exception:
                log.exception(
                    "retention pass failed; trying again in %ss", self.schedule.every_seconds
                )
            await asyncio.sleep(self.schedule.every_seconds)
