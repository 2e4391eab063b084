"""The production compose file keeps Temporal and the database off the outside network.

No Docker engine runs the tests, so the file's shape is checked here: what is
published, on which networks, and that no password is written into it."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_only_the_api_and_a_local_ui_are_published() -> None:
    published = {name: s["ports"] for name, s in SERVICES.items() if s.get("ports")}
    assert published == {"api": ["8000:8000"], "temporal-ui": ["127.0.0.1:8233:8080"]}


def test_temporal_and_postgres_sit_on_the_internal_network_only() -> None:
    assert COMPOSE["networks"]["backend"] == {"internal": True}
    for name in ("temporal", "postgres", "temporal-schema", "temporal-namespace"):
        assert SERVICES[name]["networks"] == ["backend"], name
    assert "auto-setup" not in str(SERVICES)  # the server image, set up by its own jobs


def test_the_stack_runs_in_production_mode_with_no_password_in_the_file() -> None:
    for name in ("api", "worker", "init"):
        environment = SERVICES[name]["environment"]
        assert environment["DOM_ENV"] == "production"
        assert "${POSTGRES_PASSWORD:?" in environment["DOM_DATABASE_URL"]
        assert environment["DOM_ALLOWED_HOSTS"].startswith("${DOM_ALLOWED_HOSTS")
    assert SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")
