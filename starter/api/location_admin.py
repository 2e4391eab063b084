"""Managing the network's locations: list, add, read, and change them.

A change takes effect for the next order at once: ``update_location`` bumps the
network's version, and every ``NetworkCache`` (the API's, each worker's) re-reads the
network when the version moves. Stock is not changed here: it moves through the
inventory endpoints, so the ledger explains every unit.

A webhook's URL is judged by the webhook policy (``adapters.webhook_urls``) when it is
set, and its secret is never shown: reads answer ``"secret": "********"``, and a PATCH
that sends that mask back keeps the stored secret.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, field_validator

from adapters.store.views import LocationChange
from adapters.webhook_urls import (
    UnsafeWebhookUrl,
    UnsignedWebhook,
    check_webhook_secret,
    check_webhook_url,
)
from domain.access import Principal, Right
from domain.checkout import POSTAL_CODE_PATTERN, EdgeModel, IsoText, known_zip
from domain.errors import UnknownSku
from domain.models import (
    ID_PATTERN,
    MAX_HANDLING_COST,
    MAX_PRIORITY,
    MAX_UNITS,
    AdapterConfig,
    Identifier,
    Location,
    LocationKind,
    ManualAdapterConfig,
    SimulatedAdapterConfig,
    Sla,
    WebhookAdapterConfig,
)
from starter.api.auth import Allowed, CallerDep
from starter.api.deps import StoreDep, known_location
from starter.api.errors import error_responses
from starter.api.params import LocationIdPath
from starter.api.store_errors import LocationExists, StoreRoute

router = APIRouter(prefix="/locations", tags=["locations"], route_class=StoreRoute)

REDACTED = "********"


class LocationView(BaseModel):
    """A location as the API shows it: every setting but stock (see ``GET /inventory``),
    with a webhook's signing secret hidden."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    kind: LocationKind
    active: bool
    pickup: bool


# The settings' shapes as the API takes them: no unknown fields, no coercion (EDGE).
# The network file's models stay lenient: a file written for an older release still loads.


class SlaBody(Sla, EdgeModel):
    pass


class ManualAdapterBody(ManualAdapterConfig, EdgeModel):
    type: Literal["manual"]


class WebhookAdapterBody(WebhookAdapterConfig, EdgeModel):
    type: Literal["webhook"]
    secret: str | None = Field(default=None, min_length=1, max_length=500, repr=False)


class SimulatedAdapterBody(SimulatedAdapterConfig, EdgeModel):
    type: Literal["simulated"]
    carrier: str = Field(default="UPS", min_length=1, max_length=100)


AdapterBody = Annotated[
    ManualAdapterBody | WebhookAdapterBody | SimulatedAdapterBody, Field(discriminator="type")
]

LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
LocalTime = Annotated[
    time,
    IsoText,
    WithJsonSchema({"type": "string", "pattern": LOCAL_TIME_PATTERN, "examples": ["15:00"]}),
]
TimeZoneName = Annotated[
    str, Field(min_length=1, max_length=64, description="IANA name, e.g. America/Denver")
]


class NewLocation(Location, EdgeModel):
    """A location to add: the network file's fields (``stock`` is booked as receipts)."""

    kind: LocationKind = Field(strict=False)
    postal_code: str | None = Field(default=None, pattern=POSTAL_CODE_PATTERN, max_length=10)
    stock: Annotated[
        dict[Identifier, Annotated[int, Field(ge=0, le=MAX_UNITS)]],
        Field(max_length=10_000),
        WithJsonSchema(
            {
                "type": "object",
                "maxProperties": 10_000,
                "propertyNames": {"pattern": ID_PATTERN, "maxLength": 64},
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": MAX_UNITS},
                "description": "Units on hand by SKU, booked as receipts",
            }
        ),
    ] = Field(default_factory=dict)
    adapter: AdapterBody = Field(  # type: ignore[assignment]
        default_factory=lambda: ManualAdapterBody(type="manual")
    )
    sla: SlaBody | None = None
    cutoff: LocalTime | None = Field(
        default=None, strict=False, description="Local time after which orders ship next day"
    )
    timezone: TimeZoneName | None = None

    @field_validator("postal_code")
    @classmethod
    def _known_zip(cls, value: str | None) -> str | None:
        # Location checks it too, but for the whole model; here the 422 names the field.
        return None if value is None else known_zip(value)


class LocationPatch(EdgeModel):
    """The settings operations may change; fields left out stay as they are, ``null``
    clears an optional one (``daily_capacity: null``: no daily limit)."""

    # Never null (a location always has them): None here only means "left out".
    name: str = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]
    active: bool = None  # type: ignore[assignment]
    pickup: bool = None  # type: ignore[assignment]
    daily_capacity: int | None = Field(default=None, ge=0, le=MAX_UNITS)
    safety_stock: int | None = Field(default=None, ge=0, le=MAX_UNITS)
    handling_cost: float | None = Field(
        default=None, ge=0, le=MAX_HANDLING_COST, allow_inf_nan=False
    )
    priority: int | None = Field(default=None, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    sla: SlaBody | None = None
    adapter: AdapterBody = None  # type: ignore[assignment]
    cutoff: LocalTime | None = Field(
        default=None, strict=False, description="Local order cut-off, e.g. 15:00"
    )
    timezone: TimeZoneName | None = None


@router.get("", response_model=list[LocationView], responses=error_responses(422))
async def list_locations(
    request: Request,
    caller: CallerDep,
    active: Annotated[bool | None, Query(description="Only active (or inactive) ones")] = None,
    pickup: Annotated[bool | None, Query(description="Only those that take pickups")] = None,
    kind: Annotated[LocationKind | None, Query()] = None,
) -> list[dict[str, Any]]:
    """Every location in the network, in the network file's order (a location's token
    sees only its own)."""
    caller.check(Right.READ_LOCATIONS, caller.location_id)
    network = await run_in_threadpool(request.app.state.catalog.network)
    return [
        _view(loc)
        for loc in network.locations
        if caller.sees(loc.id)
        and (active is None or loc.active is active)
        and (pickup is None or loc.pickup is pickup)
        and (kind is None or loc.kind is kind)
    ]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LocationView,
    responses=error_responses(
        400,
        409,
        422,
        e409="The id is taken",
        e422="Invalid location; the message names the field",
    ),
)
async def add_location(
    location: NewLocation,
    request: Request,
    store: StoreDep,
    caller: Annotated[Principal, Allowed(Right.MANAGE_LOCATIONS)],
) -> dict[str, Any]:
    """Add a location; its `stock`, if any, is booked as receipts by the caller."""
    await _check_webhook(request, location.adapter)

    def add() -> None:
        try:
            added = store.add_location(location, actor=caller.actor)
        except UnknownSku as exc:  # in a body being created: a bad field, not a missing one
            raise RequestValidationError(
                [{"loc": ("body", "stock"), "msg": str(exc), "type": "unknown_sku"}]
            ) from None
        if not added:
            raise LocationExists(f"location {location.id!r} exists already; PATCH it instead")

    await run_in_threadpool(add)
    created = await run_in_threadpool(request.app.state.catalog.location, location.id)
    return _view(created or location)


@router.get(
    "/{location_id}",
    response_model=LocationView,
    responses=error_responses(404, 422, e404="Unknown location"),
    dependencies=[Allowed(Right.READ_LOCATIONS, at_location=True)],
)
async def get_location(location_id: LocationIdPath, request: Request) -> dict[str, Any]:
    """One location's settings."""
    return _view(await run_in_threadpool(known_location, request, location_id))


@router.get(
    "/{location_id}/history",
    response_model=list[LocationChange],
    responses=error_responses(404, 422, e404="Unknown location"),
    dependencies=[Allowed(Right.READ_LOCATIONS, at_location=True)],
)
async def location_history(
    location_id: LocationIdPath,
    request: Request,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[LocationChange]:
    """Who changed the location's settings, when, and to what, the newest first (its
    creation included; a webhook secret shows as ``***``)."""

    def read() -> list[LocationChange]:
        known_location(request, location_id)
        return store.location_history(location_id, limit=limit)

    return await run_in_threadpool(read)


@router.patch(
    "/{location_id}",
    response_model=LocationView,
    responses=error_responses(
        400,
        404,
        422,
        e404="Unknown location",
        e422="Invalid change; the message names the field",
    ),
)
async def update_location(
    location_id: LocationIdPath,
    patch: LocationPatch,
    request: Request,
    store: StoreDep,
    caller: Annotated[Principal, Allowed(Right.MANAGE_LOCATIONS)],
) -> dict[str, Any]:
    """Change settings: `active: false` takes a location out of service for the next order."""
    changes = patch.model_dump(exclude_unset=True)
    if "adapter" in changes and patch.adapter is not None:
        adapter = patch.adapter
        if isinstance(adapter, WebhookAdapterConfig) and adapter.secret == REDACTED:
            adapter = await run_in_threadpool(_keep_secret, request, location_id, adapter)
        await _check_webhook(request, adapter)
        changes["adapter"] = adapter  # the model, not its dump: keeps its type tag
    if "sla" in changes and patch.sla is not None:
        changes["sla"] = patch.sla

    def update() -> Location:
        try:
            return store.update_location(location_id, actor=caller.actor, **changes)
        except ValidationError as exc:
            raise RequestValidationError(
                [
                    {"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]}
                    for e in exc.errors()
                ]
            ) from None

    return _view(await run_in_threadpool(update))


async def _check_webhook(request: Request, adapter: AdapterConfig) -> None:
    """A 422 naming ``adapter.url`` or ``adapter.secret`` when the webhook policy refuses
    them (the URL's host is looked up, off the event loop)."""
    if not isinstance(adapter, WebhookAdapterConfig):
        return
    policy = request.app.state.settings.webhook_policy
    try:
        await run_in_threadpool(check_webhook_url, adapter.url, policy)
        check_webhook_secret(adapter.secret, policy)
    except (UnsafeWebhookUrl, UnsignedWebhook) as exc:
        field = "url" if isinstance(exc, UnsafeWebhookUrl) else "secret"
        kind = "unsafe_webhook_url" if field == "url" else "missing_webhook_secret"
        raise RequestValidationError(
            [{"loc": ("body", "adapter", field), "msg": str(exc), "type": kind}]
        ) from None


def _keep_secret(
    request: Request, location_id: str, adapter: WebhookAdapterConfig
) -> WebhookAdapterConfig:
    """``adapter`` with the stored secret in place of the mask a read showed the caller."""
    current = known_location(request, location_id).adapter
    kept = current.secret if isinstance(current, WebhookAdapterConfig) else None
    return adapter.model_copy(update={"secret": kept})


def _view(location: Location) -> dict[str, Any]:
    data = location.model_dump(mode="json", exclude={"stock"})
    adapter = data.get("adapter") or {}
    if adapter.get("secret"):
        adapter["secret"] = REDACTED
    return data
