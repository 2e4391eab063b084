"""How every call on the store becomes one transaction, run again when the database asks.

``InventoryStore`` builds on ``TransactionalStore``: each of its methods hands a function
of a ``UnitOfWork`` to ``_write`` (commit on return, roll back on a raise) or ``_read``
(a read-only connection; ``snapshot=True`` for reports that read several tables), and
a deadlock, a serialization failure or a busy SQLite file runs the whole transaction
again. A database that cannot answer at all is ``StoreUnavailable`` (the API's 503).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from adapters.store.engine import READ_ONLY, create_store_engine
from adapters.store.errors import StoreUnavailable
from adapters.store.migrate import upgrade_to_head
from adapters.store.unit_of_work import UnitOfWork

T = TypeVar("T")

_ATTEMPTS = 5
# PostgreSQL deadlock_detected and serialization_failure: both mean "run it again".
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


class TransactionalStore:
    """One engine, and a unit of work (session and transaction) per call: thread-safe,
    so Temporal's sync activities and FastAPI's sync routes can share one instance."""

    def __init__(self, database_url: str, *, echo: bool = False) -> None:
        self.database_url = database_url
        self._engine = create_store_engine(database_url, echo=echo)
        self._reader = self._engine.execution_options(**{READ_ONLY: True})
        # Reports that read several tables need one snapshot; SQLite's read transaction
        # already is one, PostgreSQL's READ COMMITTED is not.
        self._snapshot_reader: Engine = (
            self._reader.execution_options(isolation_level="REPEATABLE READ")
            if self._engine.dialect.name == "postgresql"
            else self._reader
        )

    def close(self) -> None:
        """Close the pooled connections (tests, shutdown)."""
        self._engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision; safe to call at every start."""
        upgrade_to_head(self._engine)

    def _write(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` in a write transaction and commit it (rolled back if it raises)."""

        def attempt() -> T:
            with UnitOfWork(self._engine) as uow:
                result = work(uow)
                uow.commit()
                return result

        return _retrying(attempt)

    def _read(self, work: Callable[[UnitOfWork], T], *, snapshot: bool = False) -> T:
        """Run ``work`` on a read-only connection (one snapshot of every table if asked)."""
        engine = self._snapshot_reader if snapshot else self._reader

        def attempt() -> T:
            with UnitOfWork(engine) as uow:
                return work(uow)

        return _retrying(attempt)


def _retrying(attempt: Callable[[], T]) -> T:
    """Run a whole transaction again when the database asks for it (deadlock, busy).

    Anything else the driver calls operational (refused or lost connection, a server
    restarting) and a pool with no free connection end as ``StoreUnavailable``."""
    for n in range(_ATTEMPTS):
        try:
            return attempt()
        except OperationalError as exc:
            if n == _ATTEMPTS - 1 or not _transient(exc):
                raise StoreUnavailable(f"the database cannot answer now: {exc.orig}") from exc
            time.sleep(0.01 * 2**n)
        except PoolTimeout as exc:
            raise StoreUnavailable(f"the database has no free connection: {exc}") from exc
    raise AssertionError("unreachable")


def _transient(exc: OperationalError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in _TRANSIENT_SQLSTATES or "database is locked" in str(exc.orig)
