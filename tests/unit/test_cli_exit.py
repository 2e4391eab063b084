"""``dom``'s entry point turns a command's ending into its process status."""

from __future__ import annotations

import subprocess
import sys

import pytest

from starter.cli import exit_status


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (2, 2), ("a message", 1)])
def test_sys_exit_arguments_become_statuses(code: object, status: int) -> None:
    assert exit_status(code) == status


def test_a_command_ends_with_its_own_status_and_says_why() -> None:
    # Through the entry point itself (python -m starter.cli runs main): help is 0, a
    # command that does not exist is click's usage error, 2, without a traceback.
    result = subprocess.run(
        [sys.executable, "-m", "starter.cli", "simulate", "--help"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0 and "Usage" in result.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "starter.cli", "no-such-command"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2 and "No such command" in refused.stderr
    assert "Traceback" not in refused.stderr
