"""What the store keeps of an allocation: the plan and what explains it, never the customer.

An allocation's answer is stored so that a retry with the same allocation key gets the
same plan (``reserve_plan``). Its packages carry the customer's name and address, which
the store must not keep in clear (a stolen database file or backup would show them), so
``for_storage`` blanks them before the answer is written and ``restored`` puts the
asking request's own back when it is read. The routing decision itself names locations,
miles and money only: the engine is given the destination's coordinates, never a name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from domain.models import Destination
from domain.orders import Allocation, AllocationRequest, FulfillmentRequest
from services.ports import StoredAnswers

_STORED_FORM: dict[str, Callable[[FulfillmentRequest], object]] = {
    # The plan's destination at ZIP level: enough to explain the plan, no street or person.
    "ship_to": lambda f: Destination(postal_code=f.ship_to.postal_code, country=f.ship_to.country),
    "customer_name": lambda f: "",
    # Sealed under the customer's own key: ciphertext, but the request has it anyway.
    "personal": lambda f: None,
}

CUSTOMER_FIELDS = tuple(_STORED_FORM)
"""The fields a package copies from its order's request rather than from the plan: who
and where. A customer field added to both ``AllocationRequest`` and ``FulfillmentRequest``
(say, sealed personal data) gets a line in ``_STORED_FORM``, and then is neither stored
nor lost (a unit test fails until it does)."""


def customer_fields(request: AllocationRequest) -> dict[str, Any]:
    """The request's customer fields, as every package of its plan carries them."""
    return {name: getattr(request, name) for name in CUSTOMER_FIELDS}


def for_storage(allocation: Allocation) -> Allocation:
    """The allocation with no customer in it: each package's ship-to keeps only its postal
    code and country, its customer name is blank."""
    return allocation.model_copy(
        update={
            "fulfillments": [
                f.model_copy(update={name: kept(f) for name, kept in _STORED_FORM.items()})
                for f in allocation.fulfillments
            ]
        }
    )


def restored(stored: Allocation, request: AllocationRequest) -> Allocation:
    """A stored allocation with ``request``'s own customer fields put back in every package
    (a retry with the same key gets the same plan, going to its own destination)."""
    mine = customer_fields(request)
    return stored.model_copy(
        update={"fulfillments": [f.model_copy(update=mine) for f in stored.fulfillments]}
    )


STORED_WITHOUT_CUSTOMERS = "allocations_without_customers"
"""The store's meta key that says answers stored before ``for_storage`` existed were
rewritten (``forget_customers_in_stored_answers``)."""


def without_customers(decision_json: str) -> str:
    """A stored answer as ``for_storage`` would have written it (unchanged if it is, or
    if it is no allocation this version can read: a start never fails on an old row)."""
    try:
        stored = Allocation.model_validate_json(decision_json)
    except ValidationError:
        return decision_json
    kept = for_storage(stored)
    return decision_json if kept == stored else kept.model_dump_json()


def forget_customers_in_stored_answers(store: StoredAnswers) -> int:
    """Once per store: rewrite the answers stored by versions that kept the customer's
    name and address (the rows changed; 0 once done)."""
    return store.rewrite_allocations_once(without_customers, done_key=STORED_WITHOUT_CUSTOMERS)
