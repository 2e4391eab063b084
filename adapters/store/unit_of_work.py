"""The unit of work: one transaction, one session, and the repositories that use it.

It is the only door to the database besides migrations: the facade opens one per call
(a session per call, on one shared engine, which is what makes the store thread-safe).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from adapters.store.repository import CatalogueRepository, InventoryRepository


class UnitOfWork:
    """``with UnitOfWork(engine) as uow: ...; uow.commit()``; anything not committed rolls back.

    Rows it loads are only valid inside the ``with`` block: turn them into views there.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._session: Session | None = None

    def __enter__(self) -> Self:
        self._session = Session(bind=self._engine, expire_on_commit=False, autoflush=False)
        self.inventory = InventoryRepository(self._session)
        self.catalogue = CatalogueRepository(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None

    @property
    def session(self) -> Session:
        """The open session, for the store's modules that query it directly."""
        assert self._session is not None
        return self._session

    def flush(self) -> None:
        """Send pending inserts now (so a unique-key clash surfaces here, not at commit)."""
        assert self._session is not None
        self._session.flush()

    def commit(self) -> None:
        assert self._session is not None
        self._session.commit()
