"""A bootstrap admin token for stacks and apps the tests build (``DOM_ADMIN_TOKEN``)."""

ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
