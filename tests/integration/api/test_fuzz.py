"""The API fuzzed from its own OpenAPI schema (schemathesis), every route, once per role,
with every check schemathesis has (the CLI's ``--checks all``): no request, valid or not,
gets a 5xx, and every answer is one the schema declares, in the shape it declares, with
an ``Allow`` that lists the path's methods, refusing a request without its token. So the
schema is as strict as the server: what it allows is accepted, what it forbids is
refused with a 4xx (but for what a schema cannot state: ``schema_valid_is_accepted``).

In process over a real store (SQLite, the textbook network) and the kit's in-memory
gateway (``FakeOrderGateway``), which answers as ``OrderGateway`` does (the routes'
contract with Temporal, errors included); Temporal's own failures are
``test_temporal_errors.py``'s. Seeded and small, so a run is the same every time and
takes well under a minute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, CheckContext, load_all_checks, positive_data_acceptance
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode

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
        # Shapes, not rates: the rate limits have their own test (test_rate_limits.py).
        settings = Settings(allowed_hosts=["testserver"], rate_limits=False)
        gateway = FakeOrderGateway(route_to="NWK-DC")
        app = create_app(settings, gateway=gateway, store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
        yield app


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
for fuzzed in (schema, each_role):  # the checks that send again need to know where
    fuzzed.config.update(base_url="http://testserver")


def schema_valid_is_accepted(
    ctx: CheckContext, response: Response, case: schemathesis.Case
) -> bool | None:
    """``positive_data_acceptance``, except a 422 for what a schema cannot state: a
    business rule (an unknown ZIP, a line id used twice: ``BUSINESS_RULES``), an integer
    written as a float (JSON Schema counts ``2.0`` as an integer; Switchyard refuses it,
    docs/security.md), and a YAML body (the schema says only "a string")."""
    if case.media_type == "application/yaml":
        return None
    if response.status_code == 422:
        problems = response.json().get("detail") or []
        if problems and all(_unstatable(problem, case) for problem in problems):
            return None
    return positive_data_acceptance(ctx, response, case)


def _unstatable(problem: dict[str, object], case: schemathesis.Case) -> bool:
    if problem["type"] in BUSINESS_RULES:
        return True
    if problem["type"] != "int_type":
        return False
    value: object = {"body": case.body}
    for step in problem["loc"]:  # type: ignore[attr-defined]
        try:
            value = value[step]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(value, float) and value.is_integer()


# Every check schemathesis has (the CLI's ``--checks all``), positive_data_acceptance as
# narrowed above. The stateful ones (use_after_free, ensure_resource_availability) look
# at what the run recorded; ignored_auth, unsupported_method and missing_required_header
# send the request again, to the same app.
# What ``Case.validate_response`` takes: the registry also holds check classes.
Check = Callable[[CheckContext, Response, "schemathesis.Case[Any]"], bool | None]
load_all_checks()
CHECKS_ALL: list[Check] = [
    *(cast(Check, c) for c in CHECKS.get_all() if c is not positive_data_acceptance),
    schema_valid_is_accepted,
]


def call_and_check(case: schemathesis.Case, app: FastAPI, role: str) -> None:
    """``case`` sent to ``app`` as ``role``; fails on any 5xx and on any check's failure."""
    headers = role_headers(role, case)
    # The checks that send a request again (without its token, with another method)
    # send it through the schema the operation holds (a copy of the module's): to this app.
    case.operation.schema.app = case.operation.app = app
    response = case.call(app=app, headers=headers)
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=CHECKS_ALL, headers=headers)


SEEDED = settings(
    max_examples=10, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)


@schema.parametrize()
@SEEDED
def test_no_request_breaks_the_api_or_its_schema(
    case: schemathesis.Case, fuzzed_app: FastAPI
) -> None:
    call_and_check(case, fuzzed_app, "admin")


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
@each_role.parametrize()
@settings(SEEDED, max_examples=3)
def test_no_role_breaks_the_api_or_its_schema(
    case: schemathesis.Case, role: str, fuzzed_app: FastAPI
) -> None:
    call_and_check(case, fuzzed_app, role)


def every_route(routes: Sequence[object]) -> list[object]:
    """Every route of an app, inside included routers too."""
    found: list[object] = []
    for route in routes:
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        found += every_route(inner.routes) if inner is not None else [route]
    return found


def test_every_api_route_is_in_the_schema_so_the_fuzz_reaches_it() -> None:
    """A route left out of the schema is never fuzzed: only the console's HTML pages
    (CSRF-guarded forms, tested in tests/integration/console) and the docs may be."""
    app = create_app(Settings(), keys=TEST_KEYS)
    documented = {(p, m.upper()) for p, ops in OPENAPI["paths"].items() for m in ops}
    hidden = [
        (path, method)
        for route in every_route(app.routes)
        if (path := getattr(route, "path", None)) is not None
        for method in getattr(route, "methods", None) or ["*"]
        if method != "HEAD" and (path, method) not in documented
    ]
    assert hidden, "the walk found no routes at all"
    stray = [
        (path, method)
        for path, method in hidden
        if not path.startswith(("/console", "/docs")) and path != "/openapi.json"
    ]
    assert stray == []
