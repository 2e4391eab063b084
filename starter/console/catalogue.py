"""The SKU catalogue: every product with its name, weight and picture; operations and
admins add SKUs and correct them (as ``POST /skus`` and ``PATCH /skus/{sku}`` do, through
``services.network``), everyone else who reads stock sees the list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from domain.access import Principal, Right
from domain.models import Network, Sku
from services import network as network_service
from services.errors import NotFound, SkuExists
from starter.api.schemas import NewSku, SkuPatch
from starter.console.session import ConsoleCaller, ConsolePoster
from starter.console.web import REFRESH_EVENT, Conflict, ConsoleRoute, is_htmx, is_id, render

router = APIRouter(prefix="/console/skus", include_in_schema=False, route_class=ConsoleRoute)


def _may_read(me: Principal) -> None:
    """As ``GET /skus``: support, operations, admins, and a location's own staff."""
    if not me.may(Right.READ_INVENTORY):
        me.check(Right.READ_STOCK, me.location_id)


def _skus(request: Request) -> list[Sku]:
    network: Network = request.app.state.catalog.network()
    return list(network.skus)


@router.get("", response_class=HTMLResponse)
async def catalogue(request: Request, me: ConsoleCaller) -> HTMLResponse:
    """Every SKU: code, name, weight, picture; the forms to add and edit for those who may."""
    _may_read(me)
    skus = await run_in_threadpool(_skus, request)
    return render(request, "catalogue.html", me, skus=skus)


@router.get("/list", response_class=HTMLResponse)
async def catalogue_list(request: Request, me: ConsoleCaller) -> HTMLResponse:
    """The list alone: it reloads after each change."""
    _may_read(me)
    skus = await run_in_threadpool(_skus, request)
    return render(request, "_catalogue.html", me, skus=skus)


def _answer(request: Request, me: Principal, message: str) -> HTMLResponse:
    if is_htmx(request):
        return render(request, "_answer.html", me, headers={"HX-Trigger": REFRESH_EVENT},
                      ok=True, message=message)  # fmt: skip
    return render(request, "answer.html", me, ok=True, message=message, back="/console/skus")


def _blank(value: str) -> str | None:
    return value.strip() or None


@router.post("", response_class=HTMLResponse)
async def add_sku(
    request: Request,
    me: ConsolePoster,
    sku: Annotated[str, Form(max_length=64)] = "",
    weight_lb: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    image_url: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """Add a SKU, as ``POST /skus``: locations can stock it and orders name it at once."""
    me.check(Right.MANAGE_CATALOGUE)
    body = NewSku.model_validate(
        {"sku": sku.strip(), "weight_lb": weight_lb.strip(), "name": _blank(name),
         "image_url": _blank(image_url)},
        strict=False,
    )  # fmt: skip
    new = Sku(sku=body.sku, weight_lb=body.weight_lb, name=body.name, image_url=body.image_url)
    try:
        await run_in_threadpool(network_service.add_sku, request.app.state.store, new)
    except SkuExists as exc:
        raise Conflict(f"sku: {exc}") from None
    return _answer(request, me, f"Added {new.sku}" + (f" ({new.name})." if new.name else "."))


@router.post("/{sku}", response_class=HTMLResponse)
async def edit_sku(
    request: Request,
    me: ConsolePoster,
    sku: str,
    name: Annotated[str, Form(max_length=200)] = "",
    weight_lb: Annotated[str, Form(max_length=20)] = "",
    image_url: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """Correct a SKU's name, weight or picture, as ``PATCH /skus/{sku}``: a blank name or
    picture clears it; a blank weight leaves the weight as it is."""
    me.check(Right.MANAGE_CATALOGUE)
    if not is_id(sku):
        raise NotFound(f"unknown SKU {sku!r}")
    fields: dict[str, object] = {"name": _blank(name), "image_url": _blank(image_url)}
    if weight_lb.strip():
        fields["weight_lb"] = weight_lb.strip()
    patch = SkuPatch.model_validate(fields, strict=False)
    changes = patch.model_dump(exclude_unset=True)
    saved = await run_in_threadpool(
        network_service.update_sku, request.app.state.store, sku, changes
    )
    return _answer(request, me, f"Saved {saved.sku}: {saved.name or 'no name'}, "
                                f"{saved.weight_lb:g} lb.")  # fmt: skip
