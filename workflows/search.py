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


# The memo key of an order's customer, sealed under their own key
# (``domain.personal.SealedPersonal``): a search opens it to show whose order it is.
PERSONAL_MEMO = "personal"

# Where orders started before the workflow's input said how they were placed (before
# ``domain.orders.NewOrder``) keep it: their memo. The workflow reads these only when the
# input leaves a field unset; the API writes none of them any more.
# Who placed the order (the timeline's first actor).
PLACED_BY_MEMO = "placed_by"
# Why the API refused an order it must still keep: the workflow ends ``failed`` at once.
REFUSED_MEMO = "refused"
# The event types subscribed when the order was placed (``domain.events``).
EVENTS_MEMO = "event_types"
# How the order's workflow calls the store: "local" (allocate and commit_shipment as local
# activities); orders started before that existed have none and keep plain activities.
# Fixed at the start, not ``workflow.patched``: a patch makes the SDK upsert a search
# attribute (one more visibility write) in every new order.
STORE_CALLS_MEMO = "store_calls"
STORE_CALLS_LOCAL = "local"
