"""The routing rules: read them, and replace them with a new validated version."""

from __future__ import annotations

import json
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from adapters.rules_book import RulesVersion, UnknownRulesVersion
from domain.access import Principal, Right
from domain.routing.rules import RulesError
from services.errors import NotFound
from starter.api.auth import Allowed
from starter.api.errors import error_responses, validation_error

router = APIRouter(prefix="/routing/rules", tags=["routing"])

_BODY_DOC = {
    "requestBody": {
        "description": "The whole rules document, as JSON or YAML "
        "(`Content-Type: application/yaml`); see docs/routing.md",
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


@router.get("", response_model=RulesVersion, dependencies=[Allowed(Right.READ_RULES)])
async def current_rules(request: Request) -> RulesVersion:
    """The rules in force, with their version (0 is the built-in set)."""
    book = request.app.state.rules_book
    return await run_in_threadpool(lambda: book.version(book.current_version()))


@router.get(
    "/{version}",
    response_model=RulesVersion,
    responses=error_responses(404, 422, e404="No such version"),
    dependencies=[Allowed(Right.READ_RULES)],
)
async def rules_version(version: int, request: Request) -> RulesVersion:
    """A past (or the current) version of the rules."""
    try:
        return await run_in_threadpool(request.app.state.rules_book.version, version)
    except UnknownRulesVersion as exc:
        raise NotFound(str(exc)) from None


@router.put(
    "",
    response_model=RulesVersion,
    openapi_extra=_BODY_DOC,
    responses=error_responses(422, e422="Invalid rules; the message names the field"),
)
async def replace_rules(
    request: Request, caller: Annotated[Principal, Allowed(Right.MANAGE_RULES)]
) -> Any:
    """Validate and install new rules as the next version; orders routed from now on use
    them, and each decision records the version it used."""
    raw = await request.body()
    kind = request.headers.get("content-type", "application/json")
    try:
        data = yaml.safe_load(raw) if "yaml" in kind else json.loads(raw or b"null")
    except (ValueError, yaml.YAMLError) as exc:
        return validation_error(
            [{"loc": ["body"], "msg": f"not valid {kind}: {exc}", "type": "parse"}]
        )
    try:
        return await run_in_threadpool(
            request.app.state.rules_book.replace, data, actor=caller.actor
        )
    except RulesError as exc:
        return validation_error([{"loc": ["body"], "msg": str(exc), "type": "rules"}])
