"""Locations with an HTTP endpoint: fulfillment requests are POSTed to them as JSON.

Each request carries an ``Idempotency-Key`` (the same on every retry) and, when the
location has a secret, an ``X-Switchyard-Signature: t=<unix>,v1=<hex>`` signature of
the timestamp and the body (``adapters.signatures``; docs/webhooks.md for receivers).
The location reports progress back through the events endpoint.

Before each call the URL is judged again by the webhook policy, after resolving its
host (``adapters.webhook_urls``): a URL stored earlier, or a name that now resolves
inside the network, fails the call for good (``UnsafeWebhook``), with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import httpx

from adapters.locations.base import LocationRefused
from adapters.signatures import SIGNATURE_HEADER, sign
from adapters.webhook_urls import (
    Resolver,
    WebhookPolicy,
    check_webhook_secret,
    check_webhook_url_now,
    system_resolver,
)
from domain.models import WebhookAdapterConfig
from domain.orders import FulfillmentRequest

_RETRYABLE_CLIENT_ERRORS = {408, 409, 425, 429}


class WebhookAdapter:
    def __init__(
        self,
        config: WebhookAdapterConfig,
        http: httpx.AsyncClient,
        policy: WebhookPolicy | None = None,
        *,
        resolve: Resolver = system_resolver,
    ) -> None:
        self._config = config
        self._http = http
        self._policy = policy or WebhookPolicy()
        self._resolve = resolve

    async def dispatch(self, request: FulfillmentRequest, idempotency_key: str) -> None:
        payload = {
            "type": "fulfillment.requested",
            "fulfillment": request.model_dump(mode="json", exclude={"personal"}),
        }
        await self._post(payload, idempotency_key)

    async def cancel(self, request: FulfillmentRequest, reason: str, idempotency_key: str) -> None:
        payload = {
            "type": "fulfillment.cancelled",
            "fulfillment_id": request.fulfillment_id,
            "order_id": request.order_id,
            "reason": reason,
        }
        await self._post(payload, idempotency_key)

    async def _check_destination(self) -> None:
        """``UnsafeWebhook`` unless the policy lets this process call the URL now."""
        url, policy = self._config.url, self._policy
        check_webhook_secret(self._config.secret, policy)
        await check_webhook_url_now(url, policy, resolve=self._resolve)

    async def _post(self, payload: Mapping[str, object], idempotency_key: str) -> None:
        await self._check_destination()
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        if self._config.secret:
            headers[SIGNATURE_HEADER] = sign(body, self._config.secret)
        response = await self._http.post(
            self._config.url, content=body, headers=headers, timeout=self._config.timeout_seconds
        )
        if (
            400 <= response.status_code < 500
            and response.status_code not in _RETRYABLE_CLIENT_ERRORS
        ):
            raise LocationRefused(
                f"{self._config.url} refused {payload['type']} with HTTP {response.status_code}: "
                f"{response.text[:200]}"
            )
        response.raise_for_status()  # 5xx and the retryable 4xx: the activity retries
