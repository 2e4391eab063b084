"""When retention runs (services.retention): never with 0 days, else with the cutoff N
days back, in a worker at start and then on its schedule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from adapters.store.retention import Purged
from services.retention import RetentionSchedule, RetentionSweeper, purge


class Store:
    """Records the cutoffs it is asked to purge before (a ``ClosedOrders``)."""

    def __init__(self) -> None:
        self.cutoffs: list[datetime] = []

    def purge_closed_orders(self, cutoff: datetime, *, batch: int = 500) -> Purged:
        self.cutoffs.append(cutoff)
        return Purged(1, {"allocations": 1})


NOW = datetime(2026, 12, 8, tzinfo=UTC)


def test_a_pass_purges_before_the_cutoff_and_zero_days_keeps_everything() -> None:
    store = Store()
    assert purge(store, RetentionSchedule(days=0), NOW) == Purged()
    assert store.cutoffs == []
    assert purge(store, RetentionSchedule(days=90), NOW).orders == 1
    assert store.cutoffs == [NOW - timedelta(days=90)]


async def test_a_sweeper_runs_at_start_then_on_its_schedule() -> None:
    store = Store()
    sweeper = RetentionSweeper(store, RetentionSchedule(days=1, every_seconds=0.05))
    task = asyncio.create_task(sweeper.run())
    await asyncio.sleep(0.3)
    task.cancel()
    assert len(store.cutoffs) >= 2  # at start, and again
    idle = RetentionSweeper(store, RetentionSchedule(days=0))
    await asyncio.wait_for(idle.run(), timeout=1)  # returns at once: nothing to do
