"""Locations with an HTTP endpoint: fulfillment requests are POSTed to them as JSON.

Each request carries an ``Idempotency-Key`` (the same on every retry) and, when the
location has a secret, an ``X-Switchyard-Signature: sha256=<hex>`` HMAC of the body.
The location reports progress back through the events endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from adapters.locations.base import LocationRefused
from domain.models import WebhookAdapterConfig
from domain.orders import FulfillmentRequest

_RETRYABLE_CLIENT_ERRORS = {408, 409, 425, 429}


def sign(body: bytes, secret: str) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookAdapter:
    def __init__(self, config: WebhookAdapterConfig, http: httpx.AsyncClient) -> None:
        self._config = config
        self._http = http

    async def dispatch(self, request: FulfillmentRequest, idempotency_key: str) -> None:
        payload = {
            "type": "fulfillment.requested",
            "fulfillment": request.model_dump(mode="json"),
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

    async def _post(self, payload: dict[str, object], idempotency_key: str) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        if self._config.secret:
            headers["X-Switchyard-Signature"] = sign(body, self._config.secret)
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
