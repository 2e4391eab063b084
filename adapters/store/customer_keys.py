"""Customers' data keys in the store: found by the customer's reference or the key's id,
added once per customer, deleted on erasure. Only wrapped keys are kept
(``adapters/personal_keys.py`` wraps and unwraps them)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from adapters.store.tables import CustomerKeyRow, CustomerTermRow
from adapters.store.unit_of_work import UnitOfWork
from adapters.store.views import CustomerKeyRecord


def by_customer(uow: UnitOfWork, customer_ref: str) -> CustomerKeyRecord | None:
    query = sa.select(CustomerKeyRow).where(col(CustomerKeyRow.customer_ref) == customer_ref)
    row = uow.session.scalars(query).one_or_none()
    return _record(row) if row else None


def by_id(uow: UnitOfWork, key_id: str) -> CustomerKeyRecord | None:
    row = uow.session.get(CustomerKeyRow, key_id)
    return _record(row) if row else None


def add(uow: UnitOfWork, key: CustomerKeyRecord) -> None:
    """Keep ``key``; ``IntegrityError`` if its customer has a key already."""
    uow.session.add(
        CustomerKeyRow(key_id=key.key_id, customer_ref=key.customer_ref, wrapped=key.wrapped)
    )
    uow.session.flush()


def wrapped_by_other_than(uow: UnitOfWork, ring_key_id: str, limit: int) -> list[CustomerKeyRecord]:
    """Up to ``limit`` keys wrapped by a ring key other than ``ring_key_id``."""
    query = (
        sa.select(CustomerKeyRow)
        .where(~col(CustomerKeyRow.wrapped).startswith(f"{ring_key_id}:"))
        .order_by(col(CustomerKeyRow.key_id))
        .limit(limit)
    )
    return [_record(row) for row in uow.session.scalars(query)]


def rewrap(uow: UnitOfWork, key_id: str, old: str, new: str) -> bool:
    """Replace a key's wrapping, if it is still ``old`` (a twin may have done it first)."""
    changed = uow.session.execute(
        sa.update(CustomerKeyRow)
        .where(col(CustomerKeyRow.key_id) == key_id, col(CustomerKeyRow.wrapped) == old)
        .values(wrapped=new)
    )
    return bool(getattr(changed, "rowcount", 0))


def erase(uow: UnitOfWork, customer_ref: str) -> list[str]:
    """Delete the customer's key and their search terms; the ids deleted ([] if none)."""
    deleted = uow.session.execute(
        sa.delete(CustomerKeyRow)
        .where(col(CustomerKeyRow.customer_ref) == customer_ref)
        .returning(col(CustomerKeyRow.key_id))
    )
    erased = [key_id for (key_id,) in deleted]
    if erased:
        uow.session.execute(
            sa.delete(CustomerTermRow).where(col(CustomerTermRow.key_id).in_(erased))
        )
    return erased


def add_terms(uow: UnitOfWork, key_id: str, terms: set[str]) -> None:
    """Index the customer under ``terms`` (those already there are kept)."""
    if not terms:
        return
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [{"key_id": key_id, "term": term} for term in sorted(terms)]
    uow.session.execute(insert(CustomerTermRow).values(rows).on_conflict_do_nothing())


def keys_with_terms(uow: UnitOfWork, terms: set[str], limit: int) -> list[str]:
    """Up to ``limit`` key ids indexed under every one of ``terms``."""
    if not terms:
        return []
    query = (
        sa.select(col(CustomerTermRow.key_id))
        .where(col(CustomerTermRow.term).in_(sorted(terms)))
        .group_by(col(CustomerTermRow.key_id))
        .having(sa.func.count() == len(terms))
        .order_by(col(CustomerTermRow.key_id))
        .limit(limit)
    )
    return list(uow.session.scalars(query))


def _record(row: CustomerKeyRow) -> CustomerKeyRecord:
    return CustomerKeyRecord(key_id=row.key_id, customer_ref=row.customer_ref, wrapped=row.wrapped)
