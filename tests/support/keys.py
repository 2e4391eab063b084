"""The keys every test encrypts with, so the whole suite runs through the payload codec;
the bootstrap admin token of the stacks and apps the tests build; tokens per role.

Fixed (not random) because the recorded histories in tests/histories were encrypted with
them and must replay. Test keys only: never use them anywhere else."""

from __future__ import annotations

import base64

from pydantic import SecretBytes

from adapters.encryption import KeyRing
from adapters.store import InventoryStore
from domain.access import Role, TokenGrant
from services.access import issue_token
from starter.bootstrap.keys import Keys

TEST_KEY_ID = "test-k1"
TEST_KEY = base64.b64encode(bytes(range(32))).decode()
TEST_KEYS = Keys(
    encryption=KeyRing.parse(f"{TEST_KEY_ID}:{TEST_KEY}"),
    search_hash=SecretBytes(b"switchyard tests: search hash key, not a secret"),
)
TEST_ENVIRONMENT = {
    "DOM_ENCRYPTION_KEYS": f"{TEST_KEY_ID}:{TEST_KEY}",
    "DOM_SEARCH_HASH_KEY": base64.b64encode(TEST_KEYS.search_hash.get_secret_value()).decode(),
}

# DOM_ADMIN_TOKEN of the stacks and apps the tests build.
ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def issue_role_tokens(
    store: InventoryStore, roles: list[str], *, prefix: str, location: str | None = None
) -> dict[str, str]:
    """A live token per role, named ``<prefix>-<role>``, issued in ``store``; the location
    role's bound to ``location``."""
    issued = {}
    for role in roles:
        grant = TokenGrant(f"{prefix}-{role}", Role(role), location if role == "location" else None)
        issued[role], _ = issue_token(store, grant, created_by="system:test")
    return issued
