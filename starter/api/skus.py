"""The catalogue: SKUs with their names, so pick lists and order pages read like
products; operations adds SKUs and names them without reloading the network."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError

from domain.access import Principal, Right
from domain.checkout import EdgeModel
from domain.models import IMAGE_URL_PATTERN, Identifier, Sku
from starter.api.auth import Allowed, CallerDep
from starter.api.deps import StoreDep
from starter.api.errors import error_responses
from starter.api.params import SkuPath
from starter.api.store_errors import SkuExists, StoreRoute

router = APIRouter(prefix="/skus", tags=["catalogue"], route_class=StoreRoute)

NAME = Field(default=None, max_length=200, description="What people call it: 'Vitamin C serum'")
IMAGE = Field(
    default=None,
    max_length=500,
    pattern=IMAGE_URL_PATTERN,
    description="A picture for pick lists and order pages (http or https)",
)


class NewSku(EdgeModel):
    sku: Identifier
    weight_lb: float = Field(gt=0, le=2000, description="Drives the per-pound shipping cost")
    name: str | None = NAME
    image_url: str | None = IMAGE


class SkuPatch(EdgeModel):
    """Only the fields sent change; ``name: null`` clears the name."""

    name: str | None = NAME
    image_url: str | None = IMAGE
    weight_lb: float | None = Field(default=None, gt=0, le=2000)


@router.get("", response_model=list[Sku], responses=error_responses(422))
async def list_skus(request: Request, caller: CallerDep) -> list[Sku]:
    """The catalogue, in the network file's order (support, ops, and a location's own staff)."""
    if not caller.may(Right.READ_INVENTORY):
        caller.check(Right.READ_STOCK, caller.location_id)  # a location; else 403
    network = await run_in_threadpool(request.app.state.catalog.network)
    return list(network.skus)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Sku,
    responses=error_responses(400, 409, 422, e409="The SKU is in the catalogue already"),
)
async def add_sku(
    body: NewSku,
    store: StoreDep,
    caller: Annotated[Principal, Allowed(Right.MANAGE_CATALOGUE)],
) -> Sku:
    """Add a SKU; locations can stock it and orders name it at once (no network reload)."""
    sku = Sku(sku=body.sku, weight_lb=body.weight_lb, name=body.name, image_url=body.image_url)
    if not await run_in_threadpool(store.add_sku, sku):
        raise SkuExists(f"SKU {body.sku!r} is in the catalogue already; PATCH it instead")
    return sku


@router.patch(
    "/{sku}",
    response_model=Sku,
    responses=error_responses(400, 404, 422, e404="Unknown SKU"),
)
async def update_sku(
    sku: SkuPath,
    patch: SkuPatch,
    store: StoreDep,
    caller: Annotated[Principal, Allowed(Right.MANAGE_CATALOGUE)],
) -> Sku:
    """Name a SKU (or rename it, or correct its weight)."""
    changes = patch.model_dump(exclude_unset=True)
    if changes.get("weight_lb", 0) is None:
        del changes["weight_lb"]  # a weight cannot be cleared; null leaves it as it is

    def update() -> Sku:
        try:
            return store.update_sku(sku, **changes)
        except ValidationError as exc:
            raise RequestValidationError(
                [{"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]}
                 for e in exc.errors()]
            ) from None  # fmt: skip

    return await run_in_threadpool(update)
