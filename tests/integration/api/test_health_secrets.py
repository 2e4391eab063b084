"""/health says what is down in plain words; the database password and the drivers'
text stay out of the answer and out of the log."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from adapters.store import InventoryStore
from starter.app import create_app
from starter.bootstrap.dev_server import free_port
from tests.support.fakes import temporal_down
from tests.support.keys import TEST_KEYS
from tests.support.stack import api_settings


def test_health_names_what_is_down_without_its_password_or_driver_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"postgresql+psycopg://app:hunter2-secret@127.0.0.1:{free_port()}/switchyard"
    settings = api_settings(database_url=url)
    store = InventoryStore(settings.resolved_database_url)
    app = create_app(settings, gateway=temporal_down(), store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    try:
        with caplog.at_level(logging.WARNING), TestClient(app) as api:
            health = api.get("/health")
    finally:
        store.close()
    assert health.status_code == 503
    body = health.json()
    assert (body["database"], body["temporal"]) == ("unavailable", "unavailable")
    assert "hunter2" not in health.text
    assert "connection" not in health.text.lower()  # no driver or RPC text
    assert "hunter2" not in caplog.text
    assert "app:***@127.0.0.1" in caplog.text  # the log says which database, masked
