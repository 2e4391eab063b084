"""Search attributes that let support find orders in Temporal's visibility store.

Search attributes are stored in clear (a payload codec does not encrypt them), so they
hold no personal data: the customer's e-mail is kept only as an HMAC-SHA256 of its
lowercased form under a secret key (``DOM_SEARCH_HASH_KEY``). Support can search by an
address they know, but nobody holding the visibility store and a list of addresses can
tell whose orders they are. The hash is computed at the edge (``OrderGateway``), never
in the workflow, so the key never enters a workflow history.
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretBytes
from temporalio.common import SearchAttributeKey

ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
CUSTOMER_EMAIL_HASH = SearchAttributeKey.for_keyword("CustomerEmailHash")
ORDER_SKUS = SearchAttributeKey.for_keyword_list("OrderSkus")
ORDER_LOCATIONS = SearchAttributeKey.for_keyword_list("OrderLocations")

ALL = (ORDER_STATUS, CUSTOMER_EMAIL_HASH, ORDER_SKUS, ORDER_LOCATIONS)


def email_hash(email: str, key: SecretBytes) -> str:
    """What ``CustomerEmailHash`` holds for ``email``: a keyed hash, hex."""
    normalized = email.strip().lower().encode()
    return hmac.new(key.get_secret_value(), normalized, hashlib.sha256).hexdigest()


# The memo key under which the API records who placed the order (the timeline's first actor).
PLACED_BY_MEMO = "placed_by"
# The memo key under which the API records why it refused an order it must still keep (a
# Shopify order with an unknown SKU): the workflow then ends ``failed`` at once, saying why.
REFUSED_MEMO = "refused"
# The memo key under which the API records the event types subscribed when the order was
# placed (``domain.events``): the workflow publishes only those (none: no activity at all).
EVENTS_MEMO = "event_types"
# The memo key under which the API records how the order's workflow calls the store:
# "local" (allocate and commit_shipment as local activities). Orders started before it
# existed have none and keep plain activities. A memo, not ``workflow.patched``: a patch
# makes the SDK upsert a search attribute (one more visibility write) in every new order.
STORE_CALLS_MEMO = "store_calls"
STORE_CALLS_LOCAL = "local"
