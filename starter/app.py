"""The app factory: the HTTP API's routers and the web console mounted on one FastAPI app,
with the error mapping, middlewares and the resources they share (the only module that
imports either room)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Literal

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from adapters.encryption import EncryptionCodec
from adapters.network_cache import NetworkCache
from adapters.personal_keys import PersonalVault
from adapters.rules_book import RulesBook
from adapters.store import InventoryStore
from services.access import Authenticator
from starter import console
from starter.api import (
    codec,
    customers,
    inventory,
    location_admin,
    locations,
    metrics,
    orders,
    promise,
    returns,
    routing_rules,
    shopify,
    skus,
    subscriptions,
    tokens,
)
from starter.api.docs_page import install_docs
from starter.api.errors import error_responses, install_error_handlers
from starter.api.hosts import TrustedHosts
from starter.api.limits import LimitBodySize
from starter.api.rate_limits import Limits, RateLimiter
from starter.bootstrap.keys import Keys, load_keys, personal_vault
from starter.bootstrap.log_format import start_request
from starter.bootstrap.settings import Settings, get_settings
from starter.bootstrap.temporal import connect
from starter.gateway.orders import OrderGateway
from starter.gateway.returns import ReturnGateway
from starter.web_errors import RETRY_AFTER_SECONDS

log = logging.getLogger(__name__)
# How long /health waits for each dependency before calling it unavailable.
HEALTH_TIMEOUT_SECONDS = 3.0

DESCRIPTION = """
Switchyard routes each order to the best location(s) by your rules, then orchestrates
pick, pack and ship with them, as a durable Temporal workflow per order.

* **Checkout** places orders: `POST /orders`.
* **Locations** read their work queue and report progress:
  `GET /locations/{id}/fulfillments`, `POST /locations/{id}/fulfillments/{fid}/events`.
* **Support** reads an order's whole story: `GET /orders/{id}`.
* **Support and operations** see stock across the network: `GET /inventory/{sku}`.

Every call but `GET /health` (and Shopify's webhook, signed instead) carries
`Authorization: Bearer <token>` (`dom token create`, or `<data-dir>/tokens.txt` after
`dom up`). Roles: `checkout`, `location` (one location's work only), `support`, `ops`,
`admin`, `metrics` (`GET /metrics` only); 401 without a valid token, 403 when the role
may not. A location's token asking about another location gets 404, as if it did not exist.

Errors: 400 a host name this API does not serve (`DOM_ALLOWED_HOSTS`), 401 no valid
token, 403 not for this role, 404 unknown resource, 409 conflict with the current state,
422 invalid input (the `message` names the field), 413 a body over 256 KiB (32 MiB for a
bulk sync), 429 with `Retry-After` when one token (or, without a valid token, one client
address) sends more than its rate limit, 503 with `Retry-After` when Temporal or the
database cannot answer now (send it again).
"""

# Answers any route may give (the host, the caller's token, the body limit, outages), stated once
# for the schema; each route adds its own (404, 409, 422...).
COMMON_RESPONSES = error_responses(
    400, 401, 403, 413, 429, 503, e400="A host name this API does not serve (DOM_ALLOWED_HOSTS)"
)


class Health(BaseModel):
    """``ok`` when the database and Temporal both answer; otherwise what does not."""

    model_config = ConfigDict(extra="allow")

    status: Literal["ok", "degraded"]
    database: str
    temporal: str
    message: str | None = None


async def _log_ids(request: Request) -> None:
    """Every line logged while serving a request about an order carries its ids."""
    start_request(request.path_params)


def create_app(
    settings: Settings | None = None,
    *,
    gateway: OrderGateway | None = None,
    store: InventoryStore | None = None,
    keys: Keys | None = None,
    vault: PersonalVault | None = None,
) -> FastAPI:
    """The API. Give it a gateway and a store (tests, `dom up`) or let it build its own;
    ``keys`` default to the settings' (``MissingKeys`` when there are none). ``vault``:
    the customers' keys the given gateway uses (one cache: an erasure shows at once)."""
    settings = settings or get_settings()
    keys = keys or load_keys(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_store = store is None
        app.state.store = store or InventoryStore(settings.resolved_database_url)
        if own_store:
            await run_in_threadpool(app.state.store.migrate)
        app.state.authenticator = Authenticator(app.state.store, settings.admin_token_value)
        app.state.catalog = NetworkCache(app.state.store)
        app.state.rules_book = RulesBook(app.state.store)
        app.state.rules = app.state.rules_book.current
        app.state.subscribed_types = subscriptions.SubscribedTypes(app.state.store)
        app.state.vault = vault or personal_vault(app.state.store, keys)
        if gateway is None:
            client = await connect(
                settings.resolved_temporal_address,
                settings.temporal_namespace,
                keys=keys.encryption,
            )
            app.state.gateway = OrderGateway(
                client,
                settings.task_queue,
                search_hash_key=keys.search_hash,
                vault=app.state.vault,
            )
        else:
            app.state.gateway = gateway
        task_queue = getattr(app.state.gateway, "task_queue", settings.task_queue)
        app.state.returns = ReturnGateway(app.state.gateway.client, task_queue)
        yield

    app = FastAPI(
        title="Switchyard",
        version="0.1.0",
        summary="Distributed order management on Temporal",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=COMMON_RESPONSES,
        dependencies=[Depends(_log_ids)],
        docs_url=None,  # served from the package below, not from a CDN
        redoc_url=None,  # ReDoc would load from a CDN: /docs (bundled) is the one viewer
    )
    app.state.settings = settings  # what routes may read: the webhook policy, the hosts
    install_error_handlers(app)
    app.state.codec = EncryptionCodec(keys.encryption)
    app.state.rate_limiter = RateLimiter(Limits.of(settings)) if settings.rate_limits else None
    app.add_middleware(LimitBodySize)
    # Added late, so it runs early: the UI's preflight, and a 413 or a 401, carry CORS.
    app.add_middleware(codec.CodecCORS, origins=settings.resolved_codec_cors_origins)
    app.add_middleware(TrustedHosts, allowed=settings.allowed_hosts)  # the outermost: first
    app.include_router(orders.router)
    app.include_router(locations.router)
    app.include_router(inventory.router)
    app.include_router(location_admin.router)
    app.include_router(promise.router)
    app.include_router(routing_rules.router)
    app.include_router(skus.router)
    app.include_router(tokens.router)
    app.include_router(codec.router)
    app.include_router(metrics.router)
    app.include_router(shopify.router)
    app.include_router(subscriptions.router)
    app.include_router(customers.router)
    app.include_router(returns.router)
    console.install(app, keys.search_hash.get_secret_value())  # pages, not in the schema
    install_docs(app)

    @app.get(
        "/health",
        tags=["health"],
        response_model=Health,
        responses={503: {"model": Health, "description": "The database or Temporal is down"}},
    )
    async def health() -> JSONResponse:
        """200 when the database and Temporal answer; 503 naming what does not."""
        # Plain words only: the error itself (driver text, hosts) goes to the log.
        checks: dict[str, str] = {}
        try:  # a dependency that hangs (a partition) is "unavailable" within seconds
            await asyncio.wait_for(
                run_in_threadpool(app.state.store.network_version), HEALTH_TIMEOUT_SECONDS
            )
            checks["database"] = "ok"
        except Exception as exc:
            log.warning("health: the database (%s) did not answer: %r",
                        settings.database_url_for_logs, exc)  # fmt: skip
            checks["database"] = "unavailable"
        try:
            await app.state.gateway.client.service_client.check_health(
                timeout=timedelta(seconds=HEALTH_TIMEOUT_SECONDS)
            )
            checks["temporal"] = "ok"
        except Exception as exc:
            log.warning("health: Temporal (%s) did not answer: %r",
                        settings.resolved_temporal_address, exc)  # fmt: skip
            checks["temporal"] = "unavailable"
        failing = {name: value for name, value in checks.items() if value != "ok"}
        if not failing:
            return JSONResponse(content={"status": "ok", **checks})
        message = "; ".join(f"{name} {value}" for name, value in failing.items())
        return JSONResponse(
            status_code=503,
            content={"status": "degraded", **checks, "message": message},
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )

    return app
