"""Search attributes that let support find orders in Temporal's visibility store.

Search attributes are stored in clear (a payload codec does not encrypt them), so the
customer's email is kept only as a SHA-256 hash of its lowercased form: support can
search by an address they know, but the visibility store never holds it.
"""

from __future__ import annotations

import hashlib

from temporalio.common import SearchAttributeKey

ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
CUSTOMER_EMAIL_HASH = SearchAttributeKey.for_keyword("CustomerEmailHash")
ORDER_SKUS = SearchAttributeKey.for_keyword_list("OrderSkus")
ORDER_LOCATIONS = SearchAttributeKey.for_keyword_list("OrderLocations")

ALL = (ORDER_STATUS, CUSTOMER_EMAIL_HASH, ORDER_SKUS, ORDER_LOCATIONS)


def email_hash(email: str) -> str:
    """What ``CustomerEmailHash`` holds for ``email``."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


# The memo key under which the API records who placed the order (the timeline's first actor).
PLACED_BY_MEMO = "placed_by"
