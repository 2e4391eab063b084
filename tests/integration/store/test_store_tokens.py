"""Tokens in the store (SQLite and PostgreSQL): only digests kept, expiry and revocation
honoured by the authenticator, a name reusable once its token is revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from adapters.store import InventoryStore
from domain.access import InvalidToken, NotAuthenticated, Principal, Role, TokenGrant
from services.access import BOOTSTRAP_ADMIN, Authenticator, issue_token


def test_only_a_digest_of_the_token_is_stored(store: InventoryStore) -> None:
    token, record = issue_token(store, TokenGrant("kim", Role.SUPPORT), created_by="admin:root")
    with store._engine.connect() as db:  # the raw table, on purpose
        rows = db.execute(sa.text("SELECT * FROM api_tokens")).all()
    assert len(rows) == 1
    assert token not in str(rows[0])
    assert record.created_by == "admin:root"
    assert Authenticator(store).principal(token) == Principal("kim", Role.SUPPORT)


def test_expired_and_revoked_tokens_are_refused(store: InventoryStore) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    expired, _ = issue_token(
        store, TokenGrant("old", Role.OPS, expires_at=past), created_by="system"
    )
    live, _ = issue_token(store, TokenGrant("new", Role.OPS), created_by="system")
    auth = Authenticator(store)
    with pytest.raises(NotAuthenticated, match="expired"):
        auth.principal(expired)
    assert auth.principal(live).name == "new"
    assert store.revoke_token("new") is not None
    auth.forget()
    with pytest.raises(NotAuthenticated, match="revoked"):
        auth.principal(live)
    with pytest.raises(NotAuthenticated, match="unknown token"):
        auth.principal("not-even-shaped-like-one")


def test_a_name_is_unique_among_live_tokens_only(store: InventoryStore) -> None:
    issue_token(store, TokenGrant("desk", Role.SUPPORT), created_by="system")
    with pytest.raises(InvalidToken, match="already named"):
        issue_token(store, TokenGrant("desk", Role.OPS), created_by="system")
    store.revoke_token("desk")
    issue_token(store, TokenGrant("desk", Role.OPS), created_by="system")
    assert [(t.name, t.role, t.revoked_at is None) for t in store.tokens()] == [
        ("desk", Role.OPS, True),
        ("desk", Role.SUPPORT, False),
    ]


def test_the_bootstrap_admin_token_needs_no_store_row(store: InventoryStore) -> None:
    secret = "x" * 40
    auth = Authenticator(store, admin_token=secret)
    assert auth.principal(secret) == Principal(BOOTSTRAP_ADMIN, Role.ADMIN)
    with pytest.raises(NotAuthenticated):
        auth.principal("x" * 39)


def test_two_admins_issuing_one_name_at_once_get_one_token(store: InventoryStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def attempt(i: int) -> str:
        try:
            issue_token(store, TokenGrant("night-desk", Role.SUPPORT), created_by=f"admin:{i}")
            return "issued"
        except InvalidToken:
            return "refused"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert sorted(outcomes) == ["issued"] + ["refused"] * 7
    assert [t.name for t in store.tokens()] == ["night-desk"]
