"""Receiving a partner's webhook: its signature and timestamp checked before the route runs.

A route that takes a partner's webhook (the storefront integration) declares

    body: Annotated[bytes, Depends(signed_webhook(secrets_of))]

and gets the raw body only when ``X-Switchyard-Signature`` signs it and its timestamp
is within the tolerance (``adapters.signatures``). A wrong, missing or stale signature
is answered 401 in the API's error shape (``starter.api.errors``), and the route
never runs. Refusing old
timestamps stops replays of a captured request; a replay inside the window carries an
event id the route has seen, and the route answers it as the repeat it is.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from fastapi import Request

from adapters.signatures import (
    DEFAULT_TOLERANCE_SECONDS,
    SIGNATURE_HEADER,
    verify,
)

SecretsOf = Callable[[Request], Sequence[str]]
"""The secrets a request may be signed with (several while one is being rotated)."""


def signed_webhook(
    secrets_of: SecretsOf,
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    clock: Callable[[], float] = time.time,
) -> Callable[[Request], Awaitable[bytes]]:
    """A dependency that returns the request's raw body once its signature checks out;
    raises ``InvalidSignature`` (401) otherwise. ``tolerance``: seconds either way.

    Build it once at module level: route annotations are resolved in the module."""

    async def verified_body(request: Request) -> bytes:
        body = await request.body()  # cached by Starlette: the route may read it again
        verify(
            request.headers.get(SIGNATURE_HEADER),
            body,
            list(secrets_of(request)),
            now=clock(),
            tolerance=tolerance,
        )
        return body

    return verified_body
