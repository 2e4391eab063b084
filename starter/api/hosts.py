"""Only configured host names are served: the ``Host`` header checked against
``DOM_ALLOWED_HOSTS`` before anything else runs, 400 otherwise.

A request for another name is either a misdirected client or a DNS-rebinding page in
someone's browser trying to reach an API that listens on their machine or network;
neither should be answered. Starlette's ``TrustedHostMiddleware`` does the same check
but answers in plain text; this one answers in the API's JSON error shape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from starter.api.errors import error_response
from starter.bootstrap.host_names import host_name

log = logging.getLogger(__name__)

__all__ = ["TrustedHosts", "host_name"]


class TrustedHosts:
    """ASGI middleware: answer 400 to a request whose ``Host`` is not allowed.

    ``allowed``: exact names (``api.example.com``, ``127.0.0.1``), ``*.example.com`` for
    its subdomains, or ``*`` for any host (which turns the check off)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self._app = app
        names = [name.strip().lower() for name in allowed if name.strip()]
        self._any = "*" in names
        exact = (host_name(name) for name in names if not name.startswith("*"))
        self._exact = {name for name in exact if name}
        self._suffixes = tuple(name[1:] for name in names if name.startswith("*."))

    def allows(self, host: str) -> bool:
        """Whether ``host`` (one ``Host`` header's value) is a host this API serves, with
        at most a valid port: an exact allowed name, or a subdomain of a ``*.`` entry."""
        if self._any:
            return True
        name = host_name(host)
        return name is not None and (name in self._exact or name.endswith(self._suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        hosts = [value for key, value in scope.get("headers") or [] if key == b"host"]
        # Two Host headers: which one a proxy, a cache or this server reads differs, and
        # that difference is the attack; a request carrying them is refused whole.
        host = b", ".join(hosts).decode("latin-1")
        if len(hosts) <= 1 and self.allows(host):
            await self._app(scope, receive, send)
            return
        log.info("refused a request for host %r (not in DOM_ALLOWED_HOSTS)", host[:200])
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            refusal = error_response(
                400,
                "this API does not serve that host name; use the address you were given",
                "UnknownHost",
            )
            await refusal(scope, receive, send)
