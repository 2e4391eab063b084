"""A small HTTP/1.1 client for the benchmark's own calls: keep-alive connections, JSON.

The HTTP phase's driver plays the outside world (a checkout, a 3PL) on the same two
cores as the stack it measures, so every millisecond of CPU it spends per request is
taken from the stack. httpx spent about 3 ms per request here (py-spy: its connection
pool's bookkeeping, anyio, and a failed ``import sniffio`` on every call), a seventh of
the phase's CPU; this client sends the same requests, with the same headers and bodies,
over the same kind of pooled keep-alive connections, for a fraction of that, parsing
responses with httptools (uvicorn's parser, already installed).

Only what the benchmark needs: ``http://`` URLs, ``Content-Length`` bodies (what uvicorn
sends), ``request``/``get``/``post``, responses read whole. Anything that goes wrong on
the wire raises ``TransportError``; a request that finds its pooled connection closed
by the server before any answer is sent again once on a fresh connection.

Kept free of Switchyard imports, like ``harness.py``: this is the outside world.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import httptools


class TransportError(Exception):
    """The request got no complete answer (refused, reset, closed, timed out)."""


class HTTPStatusError(Exception):
    """``raise_for_status`` on a 4xx or 5xx answer."""


class Headers(dict[str, str]):
    """Response headers by lower-case name."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


class Response:
    def __init__(self, status_code: int, headers: Headers, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    def raise_for_status(self) -> Response:
        if self.status_code >= 400:
            raise HTTPStatusError(f"{self.status_code}: {self.text[:200]}")
        return self


class _Parsed:
    """httptools' callbacks for one response."""

    def __init__(self) -> None:
        self.headers = Headers()
        self.body: list[bytes] = []
        self.done = False
        self.keep_alive = False
        self.parser: httptools.HttpResponseParser | None = None

    def on_headers_complete(self) -> None:  # llhttp knows keep-alive here, not after
        assert self.parser is not None
        self.keep_alive = self.parser.should_keep_alive()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done = True


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> tuple[Response, bool]:
        """(the answer, whether the connection may be used again)."""
        self.writer.write(request)
        parsed = _Parsed()
        parser = parsed.parser = httptools.HttpResponseParser(parsed)
        received = False
        while not parsed.done:
            data = await self.reader.read(65536)
            if not data:
                raise _Closed(received)
            received = True
            parser.feed_data(data)
        response = Response(parser.get_status_code(), parsed.headers, b"".join(parsed.body))
        return response, parsed.keep_alive

    def close(self) -> None:
        self.writer.close()


class _Closed(Exception):
    def __init__(self, after_bytes: bool) -> None:
        super().__init__("the server closed the connection")
        self.after_bytes = after_bytes


class Client:
    """``async with Client(base_url, headers=..., max_connections=N) as http: ...``"""

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        max_connections: int = 32,
        timeout: float = 60.0,
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"only http://host:port URLs: {base_url!r}")
        self._host, self._port = url.hostname, url.port or 80
        self._prefix = url.path.rstrip("/")
        self._timeout = timeout
        fixed = {"host": f"{self._host}:{self._port}", "accept": "*/*", **(headers or {})}
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(max_connections)

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        while self._idle:
            self._idle.popleft().close()

    async def get(self, url: str, **kwargs: Any) -> Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> Response:
        return await self.request("POST", url, **kwargs)

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        body = content if json is None else jsonlib.dumps(json).encode()
        head = f"{method} {self._prefix}{url} HTTP/1.1\r\n".encode("latin-1") + self._fixed
        if headers:
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode("latin-1")
        if body is not None:
            kind = b"content-type: application/json\r\n" if json is not None else b""
            head += kind + f"content-length: {len(body)}\r\n".encode()
        request = head + b"\r\n" + (body or b"")
        async with self._slots:
            try:
                return await asyncio.wait_for(self._send(request), self._timeout)
            except TimeoutError as exc:
                raise TransportError(f"{method} {url}: no answer in {self._timeout}s") from exc

    async def _send(self, request: bytes) -> Response:
        while True:
            reused = bool(self._idle)
            connection = self._idle.popleft() if reused else await self._connect()
            try:
                response, keep = await connection.exchange(request)
            except _Closed as exc:
                connection.close()
                if reused and not exc.after_bytes:
                    continue  # closed while idle (keep-alive timeout): a fresh connection
                raise TransportError(str(exc)) from None
            except (OSError, httptools.HttpParserError) as exc:
                connection.close()
                raise TransportError(repr(exc)) from exc
            except BaseException:
                connection.close()  # cancelled mid-exchange: the connection is in doubt
                raise
            if keep:
                self._idle.append(connection)
            else:
                connection.close()
            return response

    async def _connect(self) -> _Connection:
        try:
            reader, writer = await asyncio.open_connection(self._host, self._port)
        except OSError as exc:
            raise TransportError(repr(exc)) from exc
        return _Connection(reader, writer)
