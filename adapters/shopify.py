"""Shopify's ``orders/create`` webhook: its signature, and its order as a Switchyard order.

Shopify signs each delivery with ``X-Shopify-Hmac-Sha256``: the base64 HMAC-SHA256 of the
raw body under the app's shared secret. Its order becomes a checkout body
(``OrderRequest``): the Shopify order's ``id`` is the order id (so ``GET /orders/{id}``
finds it, and a redelivery is the same order), line items by SKU, the shipping address,
the customer, and the first shipping line's title or code as the service level.

An order Switchyard cannot take (an unknown SKU, an address outside the US or with an
unknown ZIP, no e-mail) is still an order the shop took: it is recorded as a failed
order with the reason (``Refusal``), never answered with an error Shopify would retry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.signatures import InvalidSignature
from domain.checkout import OrderRequest
from domain.models import (
    MAX_ORDER_LINES,
    Contact,
    Destination,
    OrderLine,
    PlacedOrder,
    ServiceLevel,
    is_identifier,
)

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
CHANNEL = "shopify"
# The longest order id Switchyard keeps (``domain.models.Identifier``).
MAX_ID_LENGTH = 64
# Words in a shipping line's title or code that mean a faster service than ground.
EXPRESS_WORDS = ("express", "overnight", "next day", "next-day", "2 day", "2-day", "two day",
                 "expedited", "priority", "rush")  # fmt: skip


class InvalidShopifySignature(InvalidSignature):
    """A Shopify delivery whose signature is missing or wrong (401)."""

    challenge = HMAC_HEADER  # the 401's WWW-Authenticate: what would authenticate it


def verify_shopify(header: str | None, body: bytes, secrets: Sequence[str]) -> None:
    """Raise ``InvalidSignature`` unless ``header`` is the base64 HMAC-SHA256 of ``body``
    under one of ``secrets`` (several while one is being rotated). Constant time."""
    if not secrets:
        raise InvalidShopifySignature(
            "Shopify webhooks are not set up here (DOM_SHOPIFY_WEBHOOK_SECRET)"
        )
    if not header:
        raise InvalidShopifySignature(f"the {HMAC_HEADER} header is missing")
    given = header.strip().encode()
    matched = False
    for secret in secrets:  # every secret compared, in constant time each
        matched |= hmac.compare_digest(given, shopify_signature(body, secret).encode())
    if not matched:
        raise InvalidShopifySignature("the Shopify signature does not match the body")


def shopify_signature(body: bytes, secret: str) -> str:
    """The ``X-Shopify-Hmac-Sha256`` value Shopify sends with ``body`` (for tests and tools)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# Shopify's order as far as Switchyard reads it; every other field is ignored.
_LENIENT = ConfigDict(extra="ignore")


class ShopifyAddress(BaseModel):
    model_config = _LENIENT

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = None


class ShopifyCustomer(BaseModel):
    model_config = _LENIENT

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class ShopifyLineItem(BaseModel):
    model_config = _LENIENT

    id: int
    sku: str | None = None
    name: str | None = None
    quantity: int
    requires_shipping: bool = True
    price: str | None = None  # a decimal string in the shop's currency, before discounts


class ShopifyShippingLine(BaseModel):
    model_config = _LENIENT

    title: str | None = None
    code: str | None = None


class ShopifyOrder(BaseModel):
    """The fields of Shopify's ``orders/create`` payload that make an order."""

    model_config = _LENIENT

    id: int = Field(gt=0)
    email: str | None = None
    contact_email: str | None = None
    customer: ShopifyCustomer | None = None
    shipping_address: ShopifyAddress | None = None
    currency: str | None = None
    line_items: list[ShopifyLineItem] = Field(default_factory=list, max_length=1000)
    shipping_lines: list[ShopifyShippingLine] = Field(default_factory=list)

    @property
    def order_id(self) -> str:
        """Switchyard's id for the order: Shopify's, or (an id longer than Switchyard keeps,
        which no real shop sends) one derived from it, the same on every redelivery, under
        which the refused order is kept."""
        shopify_id = str(self.id)
        if len(shopify_id) <= MAX_ID_LENGTH:
            return shopify_id
        return "shopify-" + hashlib.sha256(shopify_id.encode()).hexdigest()[:32]

    def shipped_items(self) -> list[ShopifyLineItem]:
        """Line items with something to ship (not gift cards nor digital goods)."""
        return [item for item in self.line_items if item.requires_shipping]


class Refusal(Exception):
    """A Shopify order Switchyard cannot place; the message says why, for support."""


def service_level(order: ShopifyOrder) -> ServiceLevel:
    """The first shipping line's title or code: express if it names a faster service."""
    for line in order.shipping_lines[:1]:
        text = f"{line.title or ''} {line.code or ''}".lower()
        if any(word in text for word in EXPRESS_WORDS):
            return ServiceLevel.EXPRESS
    return ServiceLevel.GROUND


def _name(*parts: str | None) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def customer_name(order: ShopifyOrder) -> str:
    customer, address = order.customer, order.shipping_address
    return (
        (customer and _name(customer.first_name, customer.last_name))
        or (address and (address.name or _name(address.first_name, address.last_name)))
        or "Shopify customer"
    )[:200]


def customer_email(order: ShopifyOrder) -> str:
    return order.email or order.contact_email or (order.customer and order.customer.email) or ""


def to_order_request(order: ShopifyOrder) -> OrderRequest:
    """The checkout body for ``order``; ``Refusal`` naming what Switchyard cannot take (the
    catalogue is checked by the caller, as for ``POST /orders``)."""
    if len(str(order.id)) > MAX_ID_LENGTH:
        raise Refusal(
            f"the Shopify order's id has {len(str(order.id))} digits; Switchyard keeps ids of "
            f"at most {MAX_ID_LENGTH} characters (kept as {order.order_id})"
        )
    address = order.shipping_address
    if address is None:
        raise Refusal("the Shopify order has no shipping address")
    if (address.country_code or "").upper() != "US":
        raise Refusal(
            f"the Shopify order ships to {address.country_code or 'no country'}; "
            "Switchyard routes US addresses only"
        )
    items = order.shipped_items()
    if not items:
        raise Refusal("the Shopify order has nothing to ship")
    for item in items:
        if not item.sku:
            raise Refusal(f"line item {item.id} ({item.name or 'unnamed'}) has no SKU")
    body = {
        "order_id": order.order_id,
        "customer": {"name": customer_name(order), "email": customer_email(order)},
        "ship_to": {
            "postal_code": (address.zip or "").strip(),
            "country": "US",
            "name": address.name or None,
            "address1": address.address1 or None,
            "address2": address.address2 or None,
            "city": address.city or None,
            "region": address.province_code or None,
        },
        "lines": [
            {"line_id": str(item.id), "sku": item.sku, "quantity": item.quantity}
            # Shopify's line price (before discounts), when every line has one.
            | ({"unit_price": item.price} if all(i.price for i in items) else {})
            for item in items
        ],
        "service_level": service_level(order).value,
        "channel": CHANNEL,
        "currency": (order.currency or "USD").upper(),
    }
    try:
        return OrderRequest.model_validate(body)
    except ValidationError as exc:
        raise Refusal(_plain(exc)) from None


def _plain(error: ValidationError) -> str:
    """A validation error in the order's own terms: ``ship_to.postal_code: ...``."""
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        problems.append(f"{where}: {str(problem['msg']).removeprefix('Value error, ')}")
    return "the Shopify order cannot be placed: " + "; ".join(problems)


def refused_order(order: ShopifyOrder) -> PlacedOrder:
    """What a refused order's workflow holds: the Shopify order as far as it fits (lines
    whose SKU and quantity fit the order's shape; the reason names the rest)."""
    address = order.shipping_address or ShopifyAddress()
    lines = [
        OrderLine(line_id=str(item.id), sku=item.sku, quantity=item.quantity)
        for item in order.shipped_items()
        if item.sku and is_identifier(item.sku) and 0 < item.quantity <= 10_000
    ][:MAX_ORDER_LINES]
    return PlacedOrder(
        order_id=order.order_id,
        customer=Contact(name=customer_name(order), email=customer_email(order)[:320]),
        ship_to=Destination(
            postal_code=_cut(address.zip, 20) or "",
            name=_cut(address.name, 200),
            address1=_cut(address.address1, 200),
            address2=_cut(address.address2, 200),
            city=_cut(address.city, 100),
            region=_cut(address.province_code, 100),
        ),
        lines=lines,
        service_level=service_level(order),
        channel=CHANNEL,
    )


def _cut(text: str | None, most: int) -> str | None:
    return text[:most] if text else None
