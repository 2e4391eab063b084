"""Tokens: issue, authenticate, revoke, and the development set ``dom up`` writes out.

Plain functions over the store, shared by ``dom token``, ``dom up`` and the API's
``/tokens`` routes. ``Authenticator`` is what every API request goes through: a token's
digest looked up once, then remembered for a few seconds, so a busy API does not read
the database per request and a revocation still takes effect within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.store.errors import StoreUnavailable
from adapters.store.views import TokenRecord
from domain.access import (
    NotAuthenticated,
    Principal,
    Role,
    TokenGrant,
    digest,
    looks_like_token,
    new_token,
    same_secret,
)
from services.ports import TokenBook

CACHE_SECONDS = 5.0
# While the database cannot answer, a token seen within this long still counts as it was
# (checkout and location events go on through a database restart, as they did before
# tokens); a token never seen is refused with 503 until the database is back.
STALE_SECONDS = 600.0
_CACHE_LIMIT = 10_000
BOOTSTRAP_ADMIN = "bootstrap-admin"  # the name DOM_ADMIN_TOKEN's caller goes by
TOKENS_FILE = "tokens.txt"


def issue_token(store: TokenBook, grant: TokenGrant, *, created_by: str) -> tuple[str, TokenRecord]:
    """A new token for ``grant``: (the token, shown once; what the store keeps)."""
    token = new_token()
    return token, store.issue_token(grant, digest(token), created_by=created_by)


def expiry(lifetime: timedelta | None, now: datetime | None = None) -> datetime | None:
    """When a token issued now with ``lifetime`` expires (None: never)."""
    return None if lifetime is None else (now or datetime.now(UTC)) + lifetime


class _NotRemembered:
    """``Authenticator._fresh``'s answer when only the store can tell."""


_NOT_REMEMBERED = _NotRemembered()


class Authenticator:
    """Turns a bearer token into a ``Principal`` or raises ``NotAuthenticated`` (401).

    Thread-safe. Unknown tokens are remembered too (briefly), so guessing costs no
    database reads; a token is checked for expiry on every call, not only when cached.
    While the database is down, a token read in the last ``STALE_SECONDS`` still counts
    (a revocation made meanwhile takes effect once the database answers again)."""

    def __init__(self, store: TokenBook, admin_token: str | None = None) -> None:
        self._store = store
        self._admin_token = admin_token
        self._cache: dict[str, tuple[float, TokenRecord | None]] = {}
        self._lock = threading.Lock()

    def principal(self, token: str) -> Principal:
        """The token's principal, reading the store when it is not remembered (blocking)."""
        judged = self._judge(token, self._lookup)
        assert judged is not None  # a store lookup always answers
        return judged

    def remembered(self, token: str) -> Principal | None:
        """The principal when the answer needs no store read (the bootstrap token, or a
        record read within ``CACHE_SECONDS``), else None: safe on the event loop."""
        return self._judge(token, self._fresh)

    def _judge(
        self,
        token: str,
        find: Callable[[str], TokenRecord | _NotRemembered | None],
    ) -> Principal | None:
        if self._admin_token and same_secret(token, self._admin_token):
            return Principal(BOOTSTRAP_ADMIN, Role.ADMIN)
        if not looks_like_token(token):
            raise NotAuthenticated("unknown token")
        token_digest = digest(token)
        found = find(token_digest)
        if isinstance(found, _NotRemembered):
            return None
        if found is None or not same_secret(found.token_digest, token_digest):
            raise NotAuthenticated("unknown token")
        if found.revoked_at is not None:
            raise NotAuthenticated("the token was revoked")
        if not found.live(datetime.now(UTC)):
            raise NotAuthenticated("the token has expired")
        return Principal(found.name, found.role, found.location_id)

    def _fresh(self, token_digest: str) -> TokenRecord | _NotRemembered | None:
        with self._lock:
            cached = self._cache.get(token_digest)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        return _NOT_REMEMBERED

    def forget(self) -> None:
        """Drop what was remembered (after this process revoked a token)."""
        with self._lock:
            self._cache.clear()

    def _lookup(self, token_digest: str) -> TokenRecord | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(token_digest)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            found = self._store.token(token_digest)
        except StoreUnavailable:
            if cached is not None and cached[1] is not None and now - cached[0] < STALE_SECONDS:
                return cached[1]  # as it was when last read; expiry is still checked
            raise
        with self._lock:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[token_digest] = (now, found)
        return found


def development_tokens(
    store: TokenBook, data_dir: Path, location_ids: Iterable[str]
) -> Path | None:
    """On a first ``dom up``: a token per role and per location, written to
    ``<data_dir>/tokens.txt`` (mode 0600, ``<role> <token>`` a line, a location's role
    written ``location:<id>``). Nothing if that file exists or tokens were ever issued
    (someone manages them); returns the file when it was written."""
    path = data_dir / TOKENS_FILE
    if path.exists() or store.tokens():
        return None
    grants = [TokenGrant(f"dev-{role.value}", role) for role in Role if role is not Role.LOCATION]
    grants += [TokenGrant(f"dev-location-{lid}", Role.LOCATION, lid) for lid in location_ids]
    lines = []
    for grant in grants:
        token, _ = issue_token(store, grant, created_by="system:dom-up")
        label = f"location:{grant.location_id}" if grant.location_id else grant.role.value
        lines.append(f"{label} {token}\n")
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.writelines(lines)
    os.replace(tmp, path)
    return path


def read_tokens_file(path: Path) -> dict[str, str]:
    """``tokens.txt`` as {role or ``location:<id>``: token} (tests, scripts, the demo)."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            label, token = line.split()
            found[label] = token
    return found
