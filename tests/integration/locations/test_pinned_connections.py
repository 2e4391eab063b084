"""Webhook connections go to the addresses the policy checked, resolved once: a name that
resolves somewhere else by the time the client connects (DNS rebinding) is refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.locations.pinned import pinned_client
from adapters.webhook_urls import UnsafeWebhookUrl, WebhookPolicy

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def listener() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A plain HTTP server on 127.0.0.1 that answers 200 and keeps each request's head."""
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield port, heads
    server.close()
    await server.wait_closed()


def answers(*sequence: list[str]) -> Iterator[list[str]]:
    yield from sequence


async def test_the_client_connects_to_the_address_it_checked(
    listener: tuple[int, list[bytes]],
) -> None:
    port, heads = listener
    policy = WebhookPolicy.of("development", ["127.0.0.1"])  # this "3PL" lives inside
    lookups: list[str] = []

    def resolve(host: str) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    async with pinned_client(policy, resolve=resolve) as http:
        response = await http.post(f"http://hooks.3pl.example:{port}/orders", content=b"{}")
    assert response.status_code == 200
    assert lookups == ["hooks.3pl.example"]  # resolved once, by the check itself
    assert b"host: hooks.3pl.example" in heads[0].lower()  # the name still goes in Host


async def test_a_name_that_now_resolves_inside_the_network_is_never_connected(
    listener: tuple[int, list[bytes]],
) -> None:
    port, heads = listener
    policy = WebhookPolicy.of("development", [])  # loopback not allowed
    # The adapter's own check saw a public address; by connect time the name points home.
    rebinding = answers(["8.8.8.8"], ["127.0.0.1"])
    async with pinned_client(policy, resolve=lambda host: next(rebinding)) as http:
        from adapters.webhook_urls import addresses_to_call

        assert addresses_to_call("evil.example", policy, resolve=lambda host: next(rebinding))
        with pytest.raises(UnsafeWebhookUrl, match="loopback"):
            await http.post(f"http://evil.example:{port}/orders", content=b"{}")
    assert heads == []  # nothing reached the local server


@pytest.mark.parametrize(
    ("host", "kind"),
    [("169.254.169.254", "metadata"), ("10.1.2.3", "private"), ("localhost", "loopback")],
)
async def test_literal_and_well_known_inside_hosts_are_refused_at_connect(
    host: str, kind: str
) -> None:
    async with pinned_client(WebhookPolicy.of("development", [])) as http:
        with pytest.raises(UnsafeWebhookUrl, match=kind):
            await http.get(f"http://{host}:9/latest/meta-data")


async def test_a_name_that_does_not_resolve_is_a_connection_error_to_retry() -> None:
    import httpx

    def nowhere(host: str) -> list[str]:
        raise OSError("Name or service not known")

    async with pinned_client(WebhookPolicy.of("development", []), resolve=nowhere) as http:
        with pytest.raises(httpx.ConnectError, match="not known"):
            await http.get("http://not-yet.example/orders")
