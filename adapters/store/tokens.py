"""API tokens in the store: issued, looked up by digest, listed and revoked.

Only digests are kept (``domain.access.digest``). Functions over a unit of work, like the
store's other modules; ``InventoryStore`` opens the transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from adapters.store.tables import ApiTokenRow, utcnow
from adapters.store.unit_of_work import UnitOfWork
from adapters.store.views import TokenRecord
from domain.access import InvalidToken, Role, TokenGrant


def issue(uow: UnitOfWork, grant: TokenGrant, token_digest: str, created_by: str) -> TokenRecord:
    """Store a new token's digest; ``InvalidToken`` if a live token already has the name."""
    session = uow.session
    if _live(uow, grant.name) is not None:
        raise InvalidToken(f"a live token is already named {grant.name!r}; revoke it first")
    row = ApiTokenRow(
        name=grant.name,
        role=grant.role.value,
        location_id=grant.location_id,
        token_digest=token_digest,
        created_by=created_by,
        expires_at=grant.expires_at,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # a twin took the name between the check and the insert
        raise InvalidToken(f"a live token is already named {grant.name!r}") from None
    return record(row)


def find(uow: UnitOfWork, token_digest: str) -> TokenRecord | None:
    """The token with this digest, live or not (the caller decides what counts)."""
    query = sa.select(ApiTokenRow).where(col(ApiTokenRow.token_digest) == token_digest)
    row = uow.session.scalars(query).one_or_none()
    return record(row) if row else None


def listing(uow: UnitOfWork) -> list[TokenRecord]:
    """Every token ever issued, the newest first."""
    query = sa.select(ApiTokenRow).order_by(col(ApiTokenRow.id).desc())
    return [record(row) for row in uow.session.scalars(query)]


def revoke(uow: UnitOfWork, name: str) -> TokenRecord | None:
    """Revoke the live token named ``name``; None if there is none."""
    row = _live(uow, name)
    if row is None:
        return None
    row.revoked_at = utcnow()
    uow.session.flush()
    return record(row)


def _live(uow: UnitOfWork, name: str) -> ApiTokenRow | None:
    query = sa.select(ApiTokenRow).where(
        col(ApiTokenRow.name) == name, col(ApiTokenRow.revoked_at).is_(None)
    )
    return uow.session.scalars(query.with_for_update()).one_or_none()


def record(row: ApiTokenRow) -> TokenRecord:
    return TokenRecord(
        name=row.name,
        role=Role(row.role),
        location_id=row.location_id,
        token_digest=row.token_digest,
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )
