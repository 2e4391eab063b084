"""The API fuzzed from its own OpenAPI schema (schemathesis), once per role: no request,
valid or not, gets a 5xx, and every answer is one the schema declares, in the shape it
declares. So the schema is as strict as the server: what it allows is accepted, what it
forbids is refused with a 4xx.

In process over a real store (SQLite, the textbook network) and the kit's in-memory
gateway (``FakeOrderGateway``), which answers as ``OrderGateway`` does (the routes'
contract with Temporal, errors included); Temporal's own failures are
``test_temporal_errors.py``'s. Seeded and small, so a run is the same every time and
takes well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from starter.api.errors import BUSINESS_RULES
from starter.app import create_app
from starter.bootstrap.settings import Settings
from tests.support.data import TEXTBOOK
from tests.support.fakes import FakeOrderGateway
from tests.support.keys import TEST_KEYS, issue_role_tokens
from tests.support.stack import store_holding

pytestmark = pytest.mark.slow

ROLES = ["checkout", "location", "support", "ops", "admin", "metrics"]


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The API over a fresh store holding the textbook network; its lifespan is started
    by schemathesis on the first call, once."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.db'}"
    with store_holding(TEXTBOOK, url) as store:
        # A real token per role, issued in the store the app reads.
        TOKENS.update(issue_role_tokens(store, ROLES, prefix="fuzz", location="NWK-DC"))
        # schemathesis calls the app as http://testserver: allowed here, never by default.
        settings = Settings(allowed_hosts=["testserver"])
        gateway = FakeOrderGateway(route_to="NWK-DC")
        yield create_app(settings, gateway=gateway, store=store, keys=TEST_KEYS)  # type: ignore[arg-type]


TOKENS: dict[str, str] = {}


def role_headers(role: str, case: schemathesis.Case) -> dict[str, str]:
    """The headers a caller in ``role`` sends: a live token of that role (the location
    role's bound to NWK-DC), issued by ``fuzzed_app``. None when the case is about a
    bad or missing ``Authorization`` header (the schema requires it): then it is sent as
    generated, and the answer must be a refusal (401)."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if header is not None and header.mode is GenerationMode.NEGATIVE:
        return {}
    return {"Authorization": f"Bearer {TOKENS[role]}"}


# The schema is the app's own; building it reads no store and calls no Temporal.
OPENAPI = create_app(Settings(), keys=TEST_KEYS).openapi()
# Every phase (the schema's examples, its boundaries and negations, random cases), as
# one role; the others get a lighter run of the same checks: what differs between roles
# is who may call what (401/403), not the shapes.
schema = schemathesis.openapi.from_dict(OPENAPI)
each_role = schemathesis.openapi.from_dict(OPENAPI)
each_role.config.phases.update(phases=["examples", "fuzzing"])


def schema_valid_is_accepted(
    ctx: CheckContext, response: Response, case: schemathesis.Case
) -> bool | None:
    """``positive_data_acceptance``, except a 422 for a business rule a schema cannot
    state (an unknown ZIP, a line id used twice: ``BUSINESS_RULES``), and a YAML body
    (the schema says only "a string")."""
    if case.media_type == "application/yaml":
        return None
    if response.status_code == 422:
        kinds = {problem["type"] for problem in response.json().get("detail") or []}
        if kinds and kinds <= BUSINESS_RULES:
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    schema_valid_is_accepted,
    negative_data_rejection,
]


SEEDED = settings(
    max_examples=10, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)


@schema.parametrize()
@SEEDED
def test_no_request_breaks_the_api_or_its_schema(
    case: schemathesis.Case, fuzzed_app: FastAPI
) -> None:
    response = case.call(app=fuzzed_app, headers=role_headers("admin", case))
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
@each_role.parametrize()
@settings(SEEDED, max_examples=3)
def test_no_role_breaks_the_api_or_its_schema(
    case: schemathesis.Case, role: str, fuzzed_app: FastAPI
) -> None:
    response = case.call(app=fuzzed_app, headers=role_headers(role, case))
    case.validate_response(response, checks=CHECKS)
