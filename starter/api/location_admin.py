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

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, field_validator

from adapters.store.views import LocationChange
from adapters.webhook_urls import UnsafeWebhook, UnsafeWebhookUrl, WebhookPolicy
from domain.access import Principal, Right
from domain.checkout import POSTAL_CODE_PATTERN, EdgeModel, known_zip
from domain.errors import UnknownSku
from domain.models import (
    ID_PATTERN,
    MAX_UNITS,
    Identifier,
    Location,
    LocationKind,
)
from services import network
from services.network import known_location, location_settings
from starter.api.auth import Allowed, CallerDep
from starter.api.deps import StoreDep
from starter.api.errors import error_responses
from starter.api.params import LocationIdPath
from starter.api.schemas import (
    AdapterBody,
    LocalTime,
    LocationPatch,
    ManualAdapterBody,
    SlaBody,
    TimeZoneName,
)
from starter.api.store_errors import StoreRoute

router = APIRouter(prefix="/locations", tags=["locations"], route_class=StoreRoute)


class LocationView(BaseModel):
    """A location as the API shows it: every setting but stock (see ``GET /inventory``),
    with a webhook's signing secret hidden."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    kind: LocationKind
    active: bool
    pickup: bool
    returns: bool = True


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
    adapter: AdapterBody = Field(default_factory=lambda: ManualAdapterBody(type="manual"))
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
        location_settings(loc)
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
    try:
        added = await network.add_location(
            store, request.app.state.catalog, _policy(request), location, actor=caller.actor
        )
    except UnknownSku as exc:  # in a body being created: a bad field, not a missing one
        raise RequestValidationError(
            [{"loc": ("body", "stock"), "msg": str(exc), "type": "unknown_sku"}]
        ) from None
    except UnsafeWebhook as exc:
        raise _webhook_refused(exc) from None
    return location_settings(added)


@router.get(
    "/{location_id}",
    response_model=LocationView,
    responses=error_responses(404, 422, e404="Unknown location"),
    dependencies=[Allowed(Right.READ_LOCATIONS, at_location=True)],
)
async def get_location(location_id: LocationIdPath, request: Request) -> dict[str, Any]:
    """One location's settings."""
    return location_settings(
        await run_in_threadpool(known_location, request.app.state.catalog, location_id)
    )


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
        known_location(request.app.state.catalog, location_id)
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
        changes["adapter"] = patch.adapter  # the model, not its dump: keeps its type tag
    if "sla" in changes and patch.sla is not None:
        changes["sla"] = patch.sla
    try:
        updated = await network.update_location(
            store,
            request.app.state.catalog,
            _policy(request),
            location_id,
            changes,
            actor=caller.actor,
        )
    except UnsafeWebhook as exc:
        raise _webhook_refused(exc) from None
    except ValidationError as exc:
        raise RequestValidationError(
            [{"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        ) from None
    return location_settings(updated)


def _policy(request: Request) -> WebhookPolicy:
    policy: WebhookPolicy = request.app.state.settings.webhook_policy
    return policy


def _webhook_refused(exc: UnsafeWebhook) -> RequestValidationError:
    """A 422 naming ``adapter.url`` or ``adapter.secret``, whichever the policy refused."""
    field = "url" if isinstance(exc, UnsafeWebhookUrl) else "secret"
    kind = "unsafe_webhook_url" if field == "url" else "missing_webhook_secret"
    return RequestValidationError(
        [{"loc": ("body", "adapter", field), "msg": str(exc), "type": kind}]
    )
