"""A location's ledger reads on PostgreSQL, with and without the (location_id, at) index.

    python benchmarks/ledger_by_location.py [--rows 2000000]

The console's stock page shows a location's latest movements across its SKUs, and its
"done today" list reads the location's ``ship`` rows since midnight. Both filter the
ledger by location and order or bound it by time. This fills a fresh database's ledger
with ``--rows`` movements over 90 days at 10 locations (kinds mixed as an order's life
makes them), then times both reads (median of 5, after one warm-up) with the index the
migration 0008 adds, and again without it. Needs the PostgreSQL server on 127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path

import psycopg
from crash_stack import fresh_database

from adapters.store import InventoryStore, MovementKind

FILL = """INSERT INTO ledger (at, kind, location_id, sku, on_hand_delta, reserved_delta,
                          reason, reference, actor)
SELECT now() - (({rows} - g) * interval '90 days' / {rows}),
       (ARRAY['reserve', 'ship', 'reserve', 'release', 'receipt'])[1 + g % 5],
       'LOC-' || (g % 10), 'SKU-' || (g % 40), -1, -1, 'x', 'ORD-' || g || '-F1', 'system'
FROM generate_series(1, {rows}) g"""


def median_ms(read: Callable[[], object]) -> float:
    read()
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        read()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def measure(store: InventoryStore, label: str) -> None:
    since = datetime.combine(datetime.now(UTC).date(), clock(), UTC)
    latest = median_ms(lambda: store.location_ledger("LOC-3", limit=31))
    shipped = median_ms(
        lambda: store.location_ledger("LOC-3", limit=4000, since=since, kinds=[MovementKind.SHIP])
    )
    print(f"{label}: latest 30 movements {latest:.1f} ms, shipped today {shipped:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    with fresh_database("postgres", Path("."), keep=False) as url:
        store = InventoryStore(url)
        store.migrate()
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo, autocommit=True) as db:
            db.execute(FILL.format(rows=args.rows))
            db.execute("ANALYZE ledger")
        print(f"{args.rows:,} ledger rows, 10 locations, 90 days (median of 5 reads)")
        measure(store, "with ix_ledger_location_id_at")
        with psycopg.connect(conninfo, autocommit=True) as db:
            db.execute("DROP INDEX ix_ledger_location_id_at")
        measure(store, "without it")
        store.close()


if __name__ == "__main__":
    main()
