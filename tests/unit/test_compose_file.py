"""The production compose file keeps Temporal and the database off the outside network.

No Docker engine runs the tests, so the file's shape is checked here: what is
published, on which networks, and that no password is written into it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from starter.bootstrap.settings import Settings

ROOT = Path(__file__).parents[2]
SPEC = Path(__file__).parents[1] / "fixtures" / "compose-spec"
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_only_the_api_proxy_and_a_local_ui_are_published() -> None:
    published = {name: s["ports"] for name, s in SERVICES.items() if s.get("ports")}
    assert published == {"proxy": ["8000:8000"], "temporal-ui": ["127.0.0.1:8233:8080"]}


def test_two_api_replicas_behind_a_proxy_that_keeps_the_host_and_large_bodies() -> None:
    assert SERVICES["api"]["deploy"]["replicas"] == 2
    assert SERVICES["proxy"]["networks"] == ["edge"]  # it never reaches Temporal or PostgreSQL
    [config] = SERVICES["proxy"]["configs"]
    nginx = (ROOT / COMPOSE["configs"][config["source"]]["file"]).read_text()
    assert "server api:8000;" in nginx
    assert "proxy_set_header Host $host;" in nginx
    assert "client_max_body_size 33m;" in nginx  # a bulk sync may be 32 MiB
    # The balancer gives up an idle connection to the API before the API does.
    idle = re.search(r"keepalive_timeout (\d+)s;", nginx)
    assert idle and int(idle.group(1)) < Settings().api_keepalive_seconds
    assert "proxy_http_version 1.1;" in nginx


def test_the_file_is_valid_under_the_compose_specification() -> None:
    """Against the Compose Specification's JSON schema (tests/fixtures/compose-spec/)."""
    schema = json.loads((SPEC / "compose-spec.json").read_text())
    validator = jsonschema.Draft201909Validator(schema)
    problems = [
        f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(COMPOSE)
    ]
    assert problems == []
    # ...and the schema does catch a broken file (a check that can fail).
    broken = {**COMPOSE, "services": {**SERVICES, "api": {**SERVICES["api"], "ports": "8000"}}}
    assert list(validator.iter_errors(broken))


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


def test_every_dom_variable_is_a_setting_and_every_required_one_is_documented() -> None:
    """A misspelt DOM_ variable would be ignored silently (settings ignore unknown ones);
    a required one the header does not name would stop `docker compose up` unexplained."""
    known = {f"DOM_{name.upper()}" for name in Settings.model_fields}
    for name in ("api", "worker", "init"):
        for variable in SERVICES[name]["environment"]:
            assert variable in known, (name, variable)
    text = (Path(__file__).parents[2] / "docker-compose.yml").read_text()
    header = text.split("x-dom-env")[0]
    for required in set(re.findall(r"\$\{(\w+):\?", text)):
        assert required in header, f"{required} is required but the header does not say so"


def test_workers_serve_metrics_inside_the_stack_only() -> None:
    worker = SERVICES["worker"]
    assert worker["environment"]["DOM_METRICS_ADDRESS"] == "0.0.0.0:9464"
    assert worker["environment"]["DOM_TEMPORAL_METRICS_ADDRESS"] == "0.0.0.0:9000"
    assert "ports" not in worker  # reached on the stack's networks, never published
    assert SERVICES["api"]["environment"]["DOM_LOG_FORMAT"] == "json"
