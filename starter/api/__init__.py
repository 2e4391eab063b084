"""Switchyard's HTTP API (FastAPI): routers by resource, their request bodies in
schemas.py, dependencies injected (deps.py). The app that mounts them with the console is
built by ``starter.app.create_app``."""
