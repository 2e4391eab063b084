"""The console's security headers, on every console page and asset.

Pages show customer names and addresses: no other site may frame them (clickjacking),
no browser or proxy keeps a copy (``no-store``), and no address leaks in a ``Referer``.
The API's JSON answers are untouched (this wraps ``/console`` only, at the cost of one
path comparison per request).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/console"
STATIC_PREFIX = "/console/static/"

# The console's scripts and styles are its own files: no inline script or handler, no
# eval (htmx runs with allowEval off; console.js holds what the pages' hx-on handlers and
# trigger filters did), no inline style (htmx's indicator styles are off). Pictures are
# not restricted: SKU pictures may be anywhere on the web, as the catalogue says. It is
# never framed, posts forms only to itself, and needs no plugin or <base>.
CONTENT_SECURITY_POLICY = (
    "script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
)
NO_STORE = (b"cache-control", b"no-store")


class ConsoleHeaders:
    """ASGI middleware: the headers above on ``/console`` answers; ``no-store`` on pages
    (the static assets keep their own caching)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        page = not path.startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                added = [h for h in HEADERS if h[0] not in names]
                if page:
                    added = [*added, NO_STORE] if NO_STORE[0] not in names else added
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
