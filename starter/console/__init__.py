"""The web console: server-rendered pages under ``/console`` for support, operations and
store staff, signed in with the API's tokens (docs/console.md).

Pages call the same in-process objects as the JSON routes (the gateway to Temporal, the
store, the catalogue), never the API over HTTP. Every asset ships in the package: the
templates, htmx, the stylesheet and the map of the states.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from starter.console import (
    catalogue,
    inventory,
    locations,
    orders,
    overview,
    queue,
    returns,
    rules,
    signin,
)
from starter.console.headers import ConsoleHeaders
from starter.console.not_found import install_not_found
from starter.console.session import console_secret
from starter.console.web import HERE


def install(app: FastAPI, search_hash_key: bytes) -> None:
    """Add the console's pages and assets to ``app`` (none of them in the OpenAPI schema)."""
    app.state.console_secret = console_secret(search_hash_key)
    for module in (
        signin,
        overview,
        orders,
        queue,
        returns,
        inventory,
        locations,
        catalogue,
        rules,
    ):
        app.include_router(module.router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.add_middleware(ConsoleHeaders)
    install_not_found(app)  # after the API's error handlers: it keeps theirs for the API
