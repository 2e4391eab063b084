"""Customers' personal data, for ``admin``: erase a customer (GDPR, CCPA).

Erasure destroys the customer's own key (``adapters/personal_keys.py``): from then on no
answer of the API or the console, no search, no store row, no event and no history read
with the codec can show their name, e-mail, phone or address. Their orders stay, with
lines, statuses and money, marked ``customer_erased``; the ledger is untouched.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import Field

from domain.access import Principal, Right
from domain.checkout import EdgeModel
from services.personal import Erasure, erase_customer
from starter.api.auth import Allowed
from starter.api.deps import GatewayDep
from starter.api.errors import error_responses

log = logging.getLogger(__name__)

router = APIRouter(prefix="/customers", tags=["customers"])


class EraseRequest(EdgeModel):
    email: str = Field(
        min_length=3,
        max_length=320,
        pattern=r"^\s*[^@\s]+@[^@\s]+\s*$",
        description="The customer's e-mail, as their orders gave it (case and surrounding "
        "spaces do not matter)",
    )


@router.post(
    "/erase",
    response_model=Erasure,
    responses=error_responses(
        409,
        422,
        e409="The customer has open orders (named): cancel them, or erase once they close; "
        "nothing was erased",
    ),
)
async def erase(
    body: EraseRequest,
    request: Request,
    gateway: GatewayDep,
    caller: Annotated[Principal, Allowed(Right.ERASE_CUSTOMERS)],
) -> Erasure:
    """Forget a customer: destroy their key, so nothing can show their personal data again.

    Refused (409) while an order of theirs is open. Erasing twice is harmless (the second
    answer says `erased: false`)."""
    keyed, legacy = await gateway.customer_orders(body.email)
    erasure = await erase_customer(request.app.state.vault, keyed, legacy, body.email)
    # The log names the orders, never the customer.
    log.info(
        "%s erased a customer: key destroyed=%s, %d orders, %d from before keys",
        caller.actor,
        erasure.erased,
        len(erasure.orders),
        len(erasure.not_erasable),
    )
    return erasure
