"""The webhook locations of the throughput benchmark's HTTP phase, played as a 3PL would.

One HTTP server stands for every webhook location (``/<location_id>`` each). For each
``fulfillment.requested`` it checks what the stack's webhook adapter promises (an
``Idempotency-Key``, an ``X-Switchyard-Signature: t=<unix>,v1=<hmac>`` of the timestamp
and the body, checked as docs/webhooks.md tells partners to), answers
200, and only then reports the package's steps through
``POST /locations/{id}/fulfillments/{fid}/events``, one ``event_id`` per step, as a
location system would. A repeated key is answered 200 and played once.

It answers and reports the way a good client does: a 503 is retried after its
``Retry-After``; a transport error or a 5xx after a short back-off (every call is
idempotent by ``event_id``). Every answer is tallied by status. A 409 for one of these
events (valid, sent once, in order) is the product refusing a valid event for timing:
it is recorded as an error, and retried all the same, so that the run can finish and
show how often it happens (a 3PL that trusts 409's meaning would drop it instead).

Kept free of Switchyard imports, like ``harness.py``: this is the outside world.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import lean_http
import uvicorn
from starlette.types import Receive, Scope, Send

SHIP_STEPS = ("accepted", "picked", "packed", "shipped")
PICKUP_STEPS = ("accepted", "picked", "ready_for_pickup", "picked_up")
RETRY_FOR_SECONDS = 120.0  # then an event is given up, and its order will not finish
BACKOFF_SECONDS = 0.2


@dataclass
class Tally:
    """What the HTTP phase saw: answers by endpoint and status, and what went wrong."""

    answers: dict[str, Counter[str]] = field(
        default_factory=lambda: {"orders": Counter(), "events": Counter(), "polls": Counter()}
    )
    waits: dict[str, list[float]] = field(
        default_factory=lambda: {"orders": [], "events": [], "polls": []}
    )  # seconds from each request sent to its answer, by endpoint
    requests_received: int = 0  # fulfillment requests, repeats included
    repeated_requests: int = 0  # same Idempotency-Key again (a retried dispatch)
    cancels_received: int = 0
    retry_after_waited: float = 0.0  # seconds spent honouring Retry-After
    errors: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)  # the first 503s and 429s, with why

    def retry(self, message: str) -> None:
        if len(self.retried) < 20:
            self.retried.append(message)

    def answer(self, endpoint: str, status: int | str) -> None:
        self.answers[endpoint][str(status)] += 1

    def answer_ms(self, endpoint: str, percentile: int) -> float:
        """How long ``endpoint`` took to answer, at ``percentile`` (nearest rank), in ms."""
        waits = sorted(self.waits[endpoint]) or [0.0]
        rank = max(0, min(len(waits) - 1, round(percentile / 100 * len(waits) + 0.5) - 1))
        return 1000 * waits[rank]

    def error(self, message: str) -> None:
        self.errors.append(message)

    def non_2xx(self, endpoint: str) -> dict[str, int]:
        """Answers other than 2xx (and transport errors) at ``endpoint``, by status."""
        return {s: n for s, n in sorted(self.answers[endpoint].items()) if not s.startswith("2")}

    def as_json(self) -> dict[str, object]:
        return {
            "answers": {endpoint: dict(sorted(c.items())) for endpoint, c in self.answers.items()},
            "answer_ms": {
                endpoint: {f"p{q}": round(self.answer_ms(endpoint, q)) for q in (50, 90, 99)}
                for endpoint in self.waits
            },
            "fulfillment_requests": self.requests_received,
            "repeated_requests": self.repeated_requests,
            "cancels": self.cancels_received,
            "retry_after_seconds": round(self.retry_after_waited, 1),
            "errors": len(self.errors),
            "first_errors": self.errors[:20],
            "first_retried": self.retried,
        }


SIGNATURE_TOLERANCE_SECONDS = 300


def signature_valid(header: str, body: bytes, secret: str) -> bool:
    """``X-Switchyard-Signature`` is ``t=<unix>,v1=<hex>``: one of its ``v1`` is the
    HMAC-SHA256 of ``f"{t}."`` + body, and ``t`` is within five minutes of our clock."""
    fields = [part.strip().partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in fields if key == "t" and value.isdigit()]
    given = [value for key, _, value in fields if key == "v1"]
    if not stamps or not given:
        return False
    signed = stamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(stamps[0])) <= SIGNATURE_TOLERANCE_SECONDS
    return fresh and any(hmac.compare_digest(v.encode(), expected.encode()) for v in given)


def retry_after(response: httpx.Response | lean_http.Response, default: float = 1.0) -> float:
    """Seconds the server asked us to wait (``Retry-After`` in seconds), else ``default``."""
    try:
        return max(0.0, float(response.headers.get("retry-after", default)))
    except ValueError:
        return default


async def send(
    http: httpx.AsyncClient | lean_http.Client,
    tally: Tally,
    endpoint: str,
    method: str,
    url: str,
    **kwargs: Any,
) -> httpx.Response | lean_http.Response:
    """One idempotent call, retried as a good client retries: 503 after ``Retry-After``,
    5xx, 409 and transport errors after a back-off; every answer tallied. Returns the
    first answer that is 2xx or a final 4xx; raises after ``RETRY_FOR_SECONDS``."""
    deadline = time.monotonic() + RETRY_FOR_SECONDS
    while True:
        sent = time.perf_counter()
        try:
            response = await http.request(method, url, **kwargs)
            tally.waits[endpoint].append(time.perf_counter() - sent)
        except (httpx.TransportError, lean_http.TransportError) as exc:
            tally.answer(endpoint, "transport error")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{method} {url}: {exc!r}") from exc
            await asyncio.sleep(BACKOFF_SECONDS)
            continue
        status = response.status_code
        tally.answer(endpoint, status)
        if status < 400 or (status < 500 and status not in (408, 409, 425, 429)):
            return response
        if status == 503:
            wait = retry_after(response)
            tally.retry_after_waited += wait
        else:
            wait = BACKOFF_SECONDS
        message = f"{status} on {method} {url}: {response.text[:200]}"
        if status in (429, 503):
            tally.retry(message)
        else:  # 409 for a valid call, 500: the product should never answer these
            tally.error(message)
        if time.monotonic() + wait > deadline:
            raise RuntimeError(f"{method} {url}: still {status} after {RETRY_FOR_SECONDS:.0f}s")
        await asyncio.sleep(wait)


async def read_body(receive: Receive) -> bytes:
    """An ASGI request's whole body."""
    body: bytes = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


class WebhookLocations:
    """The 3PL: receives fulfillment requests, then reports each step through the API."""

    def __init__(
        self, api: httpx.AsyncClient | lean_http.Client, tally: Tally, secret: str, seed: int
    ) -> None:
        self._api = api
        self._tally = tally
        self._secret = secret
        self._random = random.Random(seed)
        self._seen: set[str] = set()
        self._playing: dict[str, asyncio.Task[None]] = {}
        self.tracking: dict[str, str] = {}  # fulfillment id -> tracking number we reported
        self.given_up: dict[str, str] = {}  # fulfillment id -> why its events stopped
        # fulfillment id -> every Idempotency-Key its requests came with (one, if all is well)
        self.keys: dict[str, set[str]] = {}
        self.shipped: Counter[str] = Counter()  # fulfillment id -> final steps reported

    async def __call__(self, scope: Scope, receive: Receive, send_message: Send) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        headers = dict(scope["headers"])
        status, after = self._receive(scope["path"].strip("/"), headers, body)
        await send_message(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send_message({"type": "http.response.body", "body": b'{"received":true}'})
        if after is not None:  # answered first, then play the package, as a 3PL would
            self._start(*after)

    def _receive(
        self, location_id: str, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[int, tuple[str, str, tuple[str, ...]] | None]:
        """(status to answer, the package to play or None)."""
        key = headers.get(b"idempotency-key", b"").decode()
        signed = headers.get(b"x-switchyard-signature", b"").decode()
        if not key or not signature_valid(signed, body, self._secret):
            self._tally.error(f"request to {location_id} without a key or a valid signature")
            return 400, None
        payload = json.loads(body)
        if payload["type"] == "fulfillment.cancelled":
            self._tally.cancels_received += 1
            task = self._playing.pop(payload["fulfillment_id"], None)
            if task is not None:
                task.cancel()
            return 200, None
        self._tally.requests_received += 1
        self.keys.setdefault(payload["fulfillment"]["fulfillment_id"], set()).add(key)
        if key in self._seen:
            self._tally.repeated_requests += 1
            return 200, None
        self._seen.add(key)
        fulfillment = payload["fulfillment"]
        if fulfillment["location_id"] != location_id:
            self._tally.error(f"{fulfillment['fulfillment_id']} sent to {location_id}'s URL")
            return 422, None
        steps = PICKUP_STEPS if fulfillment.get("delivery") == "pickup" else SHIP_STEPS
        return 200, (location_id, fulfillment["fulfillment_id"], steps)

    def _start(self, location_id: str, fulfillment_id: str, steps: tuple[str, ...]) -> None:
        task = asyncio.get_running_loop().create_task(
            self._play(location_id, fulfillment_id, steps)
        )
        self._playing[fulfillment_id] = task

    async def _play(self, location_id: str, fulfillment_id: str, steps: tuple[str, ...]) -> None:
        url = f"/locations/{location_id}/fulfillments/{fulfillment_id}/events"
        try:
            for step in steps:
                event: dict[str, str] = {"type": step, "event_id": f"{fulfillment_id}:{step}"}
                if step == "shipped":
                    event["carrier"] = "UPS"
                    event["tracking_number"] = f"1Z{self._random.randrange(16**12):012X}"
                    self.tracking[fulfillment_id] = event["tracking_number"]
                response = await send(self._api, self._tally, "events", "POST", url, json=event)
                if not response.is_success:
                    self._give_up(
                        fulfillment_id,
                        f"{response.status_code} for {step}: {response.text[:200]}",
                    )
                    return
            self.shipped[fulfillment_id] += 1
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # the order will not finish: its poll says so
            self._give_up(fulfillment_id, str(exc))
        finally:
            self._playing.pop(fulfillment_id, None)

    def _give_up(self, fulfillment_id: str, why: str) -> None:
        self.given_up[fulfillment_id] = why
        self._tally.error(f"{fulfillment_id}: gave up reporting: {why}")

    async def close(self) -> None:
        tasks = list(self._playing.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _Server(uvicorn.Server):
    """Leaves Ctrl-C and SIGTERM to the benchmark, which stops everything in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(locations: WebhookLocations) -> AsyncIterator[str]:
    """Serve ``locations`` on a free local port for as long as the block; yields its URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _Server(
        uvicorn.Config(locations, log_level="warning", access_log=False, lifespan="off")
    )
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                await task  # raises what stopped it
                raise RuntimeError("the webhook locations' server stopped at start")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await locations.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=10)
        sock.close()
