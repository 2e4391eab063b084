"""API tokens, for ``admin``: issue one (shown once), list them, revoke one.

The same operations as ``dom token``; a token is never shown again after it is issued.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from adapters.store.views import TokenRecord
from domain.access import (
    TOKEN_NAME_PATTERN,
    Principal,
    Right,
    Role,
    TokenGrant,
    parse_lifetime,
)
from domain.checkout import EdgeModel
from domain.models import ID_PATTERN
from services.access import Authenticator, expiry, issue_token
from services.errors import NotFound
from services.network import known_location
from starter.api.auth import Allowed
from starter.api.deps import StoreDep
from starter.api.errors import error_responses

router = APIRouter(prefix="/tokens", tags=["tokens"], dependencies=[Allowed(Right.MANAGE_TOKENS)])


class NewToken(EdgeModel):
    name: str = Field(pattern=TOKEN_NAME_PATTERN, description="Unique among live tokens")
    role: Role = Field(strict=False)
    location_id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="Required for, and only for, `location`"
    )
    expires_in: str | None = Field(
        default=None, pattern=r"^\d{1,5}[mhdw]$", description="Such as 30d, 12h, 2w; none: never"
    )


class IssuedToken(BaseModel):
    token: str = Field(description="The secret: shown now and never again")
    name: str
    role: Role = Field(strict=False)
    location_id: str | None
    expires_at: datetime | None


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=IssuedToken,
    responses=error_responses(
        400, 404, 422, e404="Unknown location", e422="Invalid request; the message says why"
    ),
)
async def create_token(
    body: NewToken,
    request: Request,
    store: StoreDep,
    caller: Annotated[Principal, Allowed(Right.MANAGE_TOKENS)],
) -> IssuedToken:
    """Issue a token; the answer holds the secret, which is not kept (only its digest)."""

    def issue() -> IssuedToken:
        if body.location_id is not None:
            known_location(request.app.state.catalog, body.location_id)
        lifetime = parse_lifetime(body.expires_in) if body.expires_in else None
        grant = TokenGrant(body.name, body.role, body.location_id, expiry(lifetime))
        token, record = issue_token(store, grant, created_by=caller.actor)
        return IssuedToken(
            token=token,
            name=record.name,
            role=record.role,
            location_id=record.location_id,
            expires_at=record.expires_at,
        )

    return await run_in_threadpool(issue)


@router.get("", response_model=list[TokenRecord])
async def list_tokens(store: StoreDep) -> list[TokenRecord]:
    """Every token issued, the newest first: names, roles, expiry, revocation; no secrets."""
    return await run_in_threadpool(store.tokens)


@router.delete(
    "/{name}",
    response_model=TokenRecord,
    responses=error_responses(404, 422, e404="No live token of that name"),
)
async def revoke_token(
    name: Annotated[str, Path(pattern=TOKEN_NAME_PATTERN, max_length=64)],
    request: Request,
    store: StoreDep,
) -> TokenRecord:
    """Revoke the live token named ``name``: refused from now on (by every API process
    within a few seconds)."""
    revoked = await run_in_threadpool(store.revoke_token, name)
    if revoked is None:
        raise NotFound(f"no live token named {name!r}")
    authenticator: Authenticator = request.app.state.authenticator
    authenticator.forget()
    return revoked
