"""The real stack as users run it: ``dom up`` in a subprocess, spoken to over HTTP only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.data import TEXTBOOK
from tests.support.stack import Stack, start_stack, stop_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole stack on the textbook network, for one test module."""
    tmp = tmp_path_factory.mktemp("stack")
    process, running = start_stack(tmp, TEXTBOOK)
    yield running
    stop_stack(process, running)
    assert process.returncode == 0, running.log.read_text()
