"""Replay recorded histories: a workflow change that breaks orders in flight fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from starter.temporal import data_converter
from workflows.runner import WORKFLOWS, workflow_runner

ROOT = Path(__file__).parent.parent / "histories"
# The newest recordings, and in a folder per commit those of earlier workflow code that
# orders may still be running on (their replay proves the change compatible).
HISTORIES = sorted(ROOT.rglob("*.json"))
CURRENT = [path for path in HISTORIES if path.parent == ROOT]


def test_there_are_histories_of_every_scenario() -> None:
    names = {path.stem for path in CURRENT}
    assert len(names) >= 9, sorted(names)
    # One workflow per order: no history of a package workflow is kept (or needed).
    assert all("-F" not in name for name in names), sorted(names)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: str(p.relative_to(ROOT)))
async def test_history_replays_deterministically(path: Path) -> None:
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=data_converter(), workflow_runner=workflow_runner()
    )
    text = path.read_text()  # noqa: ASYNC240 (a small local file)
    result = await replayer.replay_workflow(WorkflowHistory.from_json(path.stem, text))
    assert result.replay_failure is None
