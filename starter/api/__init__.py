"""Switchyard's HTTP API (FastAPI): routers by resource, dependencies injected."""

from starter.api.app import create_app

__all__ = ["create_app"]
