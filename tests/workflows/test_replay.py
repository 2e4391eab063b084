"""Replay recorded histories: a workflow change that breaks orders in flight fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from starter.temporal import data_converter
from workflows.runner import WORKFLOWS, workflow_runner

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))


def test_there_are_histories_of_every_scenario() -> None:
    names = {path.stem for path in HISTORIES}
    orders = {name for name in names if "-F" not in name}
    assert len(orders) >= 9, sorted(orders)
    assert any("-F" in name for name in names)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays_deterministically(path: Path) -> None:
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=data_converter(), workflow_runner=workflow_runner()
    )
    text = path.read_text()  # noqa: ASYNC240 (a small local file)
    result = await replayer.replay_workflow(WorkflowHistory.from_json(path.stem, text))
    assert result.replay_failure is None
