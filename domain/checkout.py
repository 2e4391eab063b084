"""What checkout sends, checked in full: the strict models of ``POST /orders``.

Request bodies take ``EDGE``: a field the model does not have is a 422 naming it, and
nothing is coerced. Validation that reads data files (the ZIP table, e-mail rules) runs
here, once, when the order comes in; ``OrderRequest.placed()`` then hands the workflow
the lenient ``PlacedOrder`` (domain/models.py), which only checks shape, so an upgrade of
``zipcodes`` or ``email-validator`` can never make an accepted order fail to load from
its history.

They live in the domain, not beside the routes, because the same shape comes in by other
doors: the Shopify adapter turns a Shopify order into an ``OrderRequest``, the order
gateway hashes it for idempotency, and ``dom simulate`` reads orders files of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    JsonValue,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from domain.errors import UnknownPostalCode
from domain.geo import zip_point
from domain.holds import MAX_HOLD_HOURS, MAX_NOTE, HoldReason, HoldTerms
from domain.models import (
    MAX_ORDER_LINES,
    Contact,
    DeliveryType,
    Destination,
    Identifier,
    OrderLine,
    PlacedOrder,
    ServiceLevel,
    refused,
)
from domain.money import CURRENCIES, DEFAULT_CURRENCY, PRICE_DECIMALS, PRICE_DIGITS, is_currency

POSTAL_CODE_PATTERN = r"^[0-9]{5}(-[0-9]{4})?$"
"""A US ZIP or ZIP+4, as the API takes it (a network file may pad it with spaces)."""

EDGE = ConfigDict(extra="forbid", strict=True)
"""Request bodies: a field the model does not have is a 422 naming it, and nothing is
coerced (``"3"`` is not a quantity), so the OpenAPI schema states exactly what is taken.
Enum, date and time fields say ``Field(strict=False)`` (FastAPI hands the model decoded
JSON, where those are strings). Only the API's models carry it: state a workflow history
holds stays lenient."""


_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


class EdgeModel(BaseModel):
    """Base (or mixin, after the domain model) of every request body: ``EDGE``."""

    model_config = EDGE


def _text_or_value(value: object) -> object:
    """Dates and times as ISO text, never a number of seconds (pydantic would take one)."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("write it as ISO 8601 text, e.g. 2025-01-31T12:00:00Z or 15:00")
    return value


IsoText = BeforeValidator(_text_or_value)


_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)


class Customer(Contact, EdgeModel):
    """The customer as checkout sends them: the e-mail address is checked."""

    email: str = Field(max_length=320, json_schema_extra={"format": "email"})

    @field_validator("email")
    @classmethod
    def _deliverable(cls, value: str) -> str:
        # email-validator's rules (special-use domains, lengths) go beyond format: email.
        try:
            return _EMAIL.validate_python(value)
        except ValidationError as exc:
            raise refused("invalid_email", exc.errors()[0]["msg"]) from None


class ShipTo(Destination, EdgeModel):
    """Where checkout asks the order to go: the ZIP must be a known US ZIP. A ``ship``
    order also needs the street (``address1``), ``city`` and ``region``; a ``pickup``
    order, the ZIP alone."""

    postal_code: str = Field(pattern=POSTAL_CODE_PATTERN, max_length=10)

    @field_validator("postal_code")
    @classmethod
    def _known_zip(cls, value: str) -> str:
        return known_zip(value)


def known_zip(value: str) -> str:
    """``value`` if it is a ZIP in the table; else the 422 kind ``unknown_postal_code``."""
    try:
        zip_point(value)
    except UnknownPostalCode as exc:
        raise refused("unknown_postal_code", str(exc)) from None
    return value


def _decimal_text(value: object) -> object:
    """A price as a decimal string; a JSON number is refused (it may already have been a
    float on its way here, and 0.1 is not 0.10)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise refused("decimal_text", 'write it as a decimal string, e.g. "24.00"')
    return value


SHIP_ADDRESS_FIELDS = {"address1": "street", "city": "city", "region": "state (region)"}
"""What a ``ship`` order's ``ship_to`` must say besides its ZIP, in the words a 422 uses."""


def missing_address_fields(ship_to: Destination) -> list[str]:
    """The fields of ``SHIP_ADDRESS_FIELDS`` that ``ship_to`` leaves empty or blank."""
    return [field for field in SHIP_ADDRESS_FIELDS if not (getattr(ship_to, field) or "").strip()]


class CartLine(EdgeModel):
    """A line as checkout sends it, the one line shape of every request that takes a cart
    (``POST /orders``, ``POST /promise``): the shop's ``line_id``, the SKU and its units.
    The answer to a line echoes its ``line_id``."""

    line_id: Identifier | None = Field(
        default=None, description="The shop's own id for the line (required in an order)"
    )
    sku: Identifier
    quantity: int = Field(gt=0, le=10_000)
    unit_price: Annotated[Decimal | None, BeforeValidator(_decimal_text)] = Field(
        default=None,
        strict=False,
        ge=0,
        max_digits=PRICE_DIGITS,
        decimal_places=PRICE_DECIMALS,
        allow_inf_nan=False,
        description='What one unit costs, a decimal string ("24.00"), in the order\'s '
        "currency; every line has one, or none does",
        json_schema_extra={"type": "string", "pattern": r"^\d{1,10}(\.\d{1,4})?$"},
    )


_Lines = TypeVar("_Lines", bound=Sequence[CartLine])


def unique_line_ids(lines: _Lines) -> _Lines:
    """``lines`` if no ``line_id`` is given twice; else the 422 kind ``duplicate``."""
    seen: set[str] = set()
    for line in lines:
        if line.line_id is not None:
            if line.line_id in seen:
                raise refused("duplicate", f"line_id {line.line_id!r} is used twice")
            seen.add(line.line_id)
    return lines


class OrderLineRequest(CartLine, OrderLine):
    """A line of an order: a ``CartLine`` whose ``line_id`` is required (the order's
    packages, events and refunds name it)."""

    line_id: Identifier = Field(description="The shop's own id for the line, unique in the order")


class HoldBody(HoldTerms, EdgeModel):
    """A hold as the API takes it: in ``POST /orders`` (``hold``) and as the body of
    ``POST /orders/{id}/hold``, one shape for both."""

    reason: HoldReason = Field(
        strict=False,
        description="payment_pending, fraud_review, address_check, customer_request or other",
    )
    note: str | None = Field(
        default=None, max_length=MAX_NOTE, description="For the next person to read"
    )
    expires_in_hours: int | None = Field(
        default=None,
        ge=1,
        le=MAX_HOLD_HOURS,
        description="Still on hold after this many hours (1 to 720): the order is "
        "cancelled and its units released. None: it waits until released or cancelled",
    )


class OrderRequest(PlacedOrder, EdgeModel):
    """What checkout sends: the body of ``POST /orders``, checked in full."""

    customer: Customer
    ship_to: ShipTo
    # A narrower field than PlacedOrder.lines: pydantic takes it, list's invariance does not.
    lines: list[OrderLineRequest] = Field(min_length=1, max_length=MAX_ORDER_LINES)  # type: ignore[assignment]
    service_level: ServiceLevel = Field(default=ServiceLevel.GROUND, strict=False)
    delivery: DeliveryType = Field(default=DeliveryType.SHIP, strict=False)
    currency: str = Field(
        default=DEFAULT_CURRENCY,
        description="ISO 4217 code of the lines' prices",
        json_schema_extra={"enum": list[JsonValue](sorted(CURRENCIES))},
    )
    hold: HoldBody | None = Field(
        default=None,
        description="Place it on hold: routed and its units reserved, sent to no location "
        "until released (POST /orders/{id}/release-hold)",
    )

    @field_validator("lines")
    @classmethod
    def _unique_line_ids(cls, lines: list[OrderLineRequest]) -> list[OrderLineRequest]:
        unique_line_ids(lines)
        priced = [line.unit_price is not None for line in lines]
        if any(priced) and not all(priced):
            missing = ", ".join(line.line_id for line in lines if line.unit_price is None)
            raise refused(
                "inconsistent", f"every line needs a unit_price when one has it (not: {missing})"
            )
        return lines

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, code: str) -> str:
        if not is_currency(code):
            raise refused("unknown_currency", f"{code!r} is not an ISO 4217 currency code")
        return code

    @model_validator(mode="after")
    def _pickup_needs_a_store(self) -> OrderRequest:
        if self.delivery is DeliveryType.PICKUP and not self.pickup_location_id:
            raise refused(
                "inconsistent", "pickup_location_id is required when delivery is 'pickup'"
            )
        return self

    @model_validator(mode="after")
    def _shipment_needs_a_street(self) -> OrderRequest:
        # A carrier takes no parcel to a ZIP alone. Pickup orders go to a store: their
        # ship_to is the customer's ZIP for routing, and may stay just that.
        if self.delivery is DeliveryType.SHIP:
            missing = missing_address_fields(self.ship_to)
            if missing:
                raise ValidationError.from_exception_data(
                    type(self).__name__,
                    [
                        {
                            "type": refused(
                                "inconsistent",
                                f"a shipped order needs the {SHIP_ADDRESS_FIELDS[field]} "
                                "(only pickup orders may leave it out)",
                            ),
                            "loc": ("ship_to", field),
                            "input": getattr(self.ship_to, field),
                        }
                        for field in missing
                    ],
                )
        return self

    def placed(self) -> PlacedOrder:
        """The order as its workflow will run it: plain types, the destination located."""
        return PlacedOrder.model_validate(
            {**self.model_dump(), "ship_to": self.ship_to.located().model_dump()}
        )
