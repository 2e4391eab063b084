"""An HTTP transport for webhooks that connects only where the webhook policy allows.

The adapter checks a URL before each call, but the HTTP client would resolve the host
again when it connects, and a name can point elsewhere in between (DNS rebinding). This
transport's network backend resolves the host once, checks every address
(``adapters.webhook_urls.addresses_to_call``) and connects to one of exactly those.
TLS still verifies the certificate against the host name: only the TCP connection is
pinned to the checked address.
"""

from __future__ import annotations

import asyncio
import typing

import httpcore
import httpx

from adapters.webhook_urls import Resolver, WebhookPolicy, addresses_to_call, system_resolver


class PolicyBackend(httpcore.AsyncNetworkBackend):
    """Connects to the addresses the webhook policy allows for a host, nowhere else."""

    def __init__(
        self,
        policy: WebhookPolicy,
        *,
        resolve: Resolver = system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolve = resolve
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.to_thread(
                addresses_to_call, host, self._policy, resolve=self._resolve
            )
        except OSError as exc:  # the name does not resolve: a connection error, retried
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"{host}: no address to connect to")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are never called over a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pinned_client(
    policy: WebhookPolicy, *, resolve: Resolver = system_resolver
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose connections go only where ``policy`` allows."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx builds its pool without a way to pass a network backend; replace the pool
    # with the same one (httpx's defaults) on ours. Covered by tests/unit/test_pinned.py.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=PolicyBackend(policy, resolve=resolve),
    )
    return httpx.AsyncClient(transport=transport, trust_env=False)
