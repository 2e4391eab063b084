"""Customers' personal data: sealed at the edge, opened for whoever must see or send it,
erased on request (``domain/personal.py`` says what is personal and what stays clear).

The order's workflow only ever holds the sealed form. These open it at the last step:
the API's and console's views, the package a location is sent, the event a subscriber
receives. Erasure destroys the customer's key, after which every one of them shows
"customer erased" instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from domain.errors import DomainError
from domain.events import ORDER_EVENTS, PublishedEvent
from domain.models import Destination, OrderStatus, PlacedOrder
from domain.orders import FulfillmentRequest, OrderSummary, OrderView
from domain.personal import SealedPersonal, impersonal, personal_of, rejoined
from services.ports import PersonalVault

# What a package's label reads once the customer was erased (a package still at a
# location when that happened: it cannot be addressed any more).
ERASED = "(customer erased)"


async def sealed(vault: PersonalVault, order: PlacedOrder) -> tuple[PlacedOrder, SealedPersonal]:
    """The order with nothing personal left in clear, and its personal part sealed."""
    if order.customer is None:
        raise ValueError(f"order {order.order_id} has no customer to seal")
    # A storefront's order may come without an e-mail (a point-of-sale sale): a key of
    # its own, rather than one shared by every such customer.
    whose = order.customer.email.strip() or f"no-email:{order.order_id}"
    seal = await vault.seal(whose, personal_of(order.customer, order.ship_to))
    clear = PlacedOrder.model_validate(
        {**dict(order), "customer": None, "ship_to": impersonal(order.ship_to)}
    )
    return clear, seal


async def opened_view(vault: PersonalVault, view: OrderView) -> OrderView:
    """The view with its customer and the exact destination back (on the order and each of
    its packages), or marked ``customer_erased``; views without sealed data as they are."""
    if view.personal is None:
        return view
    personal = await vault.open(view.personal)
    if personal is None:
        return view.model_copy(update={"personal": None, "customer_erased": True})
    fulfillments = [
        f.model_copy(update={"ship_to": rejoined(f.ship_to, personal)}) if f.ship_to else f
        for f in view.fulfillments
    ]
    return view.model_copy(
        update={
            "personal": None,
            "customer": personal.customer,
            "ship_to": rejoined(view.ship_to, personal),
            "fulfillments": fulfillments,
        }
    )


async def opened_request(vault: PersonalVault, request: FulfillmentRequest) -> FulfillmentRequest:
    """The package as its location must see it: the recipient and street back."""
    if request.personal is None:
        return request
    personal = await vault.open(request.personal)
    if personal is None:
        return request.model_copy(update={"personal": None, "customer_name": ERASED})
    return request.model_copy(
        update={
            "personal": None,
            "customer_name": personal.customer.name,
            "ship_to": rejoined(request.ship_to, personal),
        }
    )


async def opened_event(vault: PersonalVault, event: PublishedEvent) -> PublishedEvent:
    """The event as a subscriber receives it: the order's (or package's) customer and
    destination back in ``data``; after an erasure, ``customer`` null and
    ``customer_erased`` true."""
    if event.personal is None:
        return event
    personal = await vault.open(event.personal)
    data: dict[str, Any] = dict(event.data)
    is_order = event.type in ORDER_EVENTS.values()  # else a package's: its ship_to only
    if personal is None:
        if is_order:
            data["customer_erased"] = True
        return event.model_copy(update={"personal": None, "data": data})
    if data.get("ship_to"):
        clear = Destination.model_validate(data["ship_to"])
        data["ship_to"] = rejoined(clear, personal).model_dump(mode="json")
    if is_order:
        data["customer"] = personal.customer.model_dump(mode="json")
        for package in data.get("fulfillments") or []:
            if package.get("ship_to"):
                clear = Destination.model_validate(package["ship_to"])
                package["ship_to"] = rejoined(clear, personal).model_dump(mode="json")
    return event.model_copy(update={"personal": None, "data": data})


# --- erasure ---------------------------------------------------------------------------------


class CustomerHasOpenOrders(DomainError):
    """Erasure refused: orders of the customer are still open (a parcel still needs its
    address); cancel them or wait until they close."""


class Erasure(BaseModel):
    """What ``POST /customers/erase`` did."""

    erased: bool = Field(description="A key of the customer's was destroyed just now")
    orders: list[str] = Field(
        description="The customer's orders, now showing no personal data (lines, statuses "
        "and money stay)"
    )
    not_erasable: list[str] = Field(
        default_factory=list,
        description="Orders placed before per-customer keys (their histories hold the "
        "customer under the payload keys only): erasing them needs their histories deleted",
    )
    ledger_touched: bool = Field(default=False, description="Always false: stock is not personal")


async def erase_customer(
    vault: PersonalVault,
    orders: Sequence[OrderSummary],
    legacy: Sequence[OrderSummary],
    email: str,
) -> Erasure:
    """Destroy the customer's key once none of their ``orders`` is open. ``orders``: theirs
    under their own key; ``legacy``: theirs from before keys (reported, not erasable)."""
    still_open = [o.order_id for o in orders if not _closed(o)]
    if still_open:
        raise CustomerHasOpenOrders(
            f"the customer has open orders ({', '.join(sorted(still_open)[:20])}): cancel "
            "them, or erase once they have shipped; nothing was erased"
        )
    destroyed = await vault.erase(email)
    return Erasure(
        erased=bool(destroyed),
        orders=sorted(o.order_id for o in orders),
        not_erasable=sorted(o.order_id for o in legacy),
    )


def _closed(order: OrderSummary) -> bool:
    return order.closed_at is not None or (
        order.status is not None and OrderStatus(order.status).is_final
    )
