"""A subscriber's endpoint for the end-to-end tests (an ERP, a payment system): a real
HTTP server on loopback that keeps every event it is sent, and can answer 500 to the
first event of one type, to show a redelivery."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from starter.bootstrap.dev_server import free_port

# The secret the tests' subscriptions sign with.
SECRET = "whsec_e2e_0123456789abcdef"


class Subscriber:
    """Keeps every request (headers and body); ``refuse_first``: answers 500 to the first
    event of that type."""

    def __init__(self, refuse_first: str | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.refused_once = False
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                subscriber.received.append((dict(self.headers), body))
                status = 200
                if json.loads(body)["type"] == refuse_first and not subscriber.refused_once:
                    subscriber.refused_once, status = True, 500
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e["type"] == kind]


@contextmanager
def listening(refuse_first: str | None = None) -> Iterator[Subscriber]:
    """A subscriber for the block; shut down at its end."""
    running = Subscriber(refuse_first)
    try:
        yield running
    finally:
        running.server.shutdown()
