"""The sandbox runner compiles the SDK's glue snippets once and runs the workflows as the
stock sandbox does (every recorded history replays through it: test_replay.py)."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from starter.temporal import data_converter
from tests.support.keys import TEST_KEYS
from workflows import runner
from workflows.runner import WORKFLOWS, workflow_runner

HISTORY = Path(__file__).parent.parent / "histories" / "order-P1.json"


async def test_each_sandbox_snippet_is_compiled_once_however_many_steps_run() -> None:
    assert runner._Instance is not None, "temporalio's sandbox changed: see workflows/runner.py"
    runner._compiled.cache_clear()
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(TEST_KEYS.encryption),
        workflow_runner=workflow_runner(),
    )
    history = WorkflowHistory.from_json(HISTORY.stem, HISTORY.read_text())
    for _ in range(3):
        result = await replayer.replay_workflow(history)
        assert result.replay_failure is None
    info = runner._compiled.cache_info()
    # A handful of distinct snippets (create, activate, serialization and storage
    # contexts), each compiled once; every other step of three replays reuses them.
    assert info.misses <= 8, info
    assert info.hits > 20 * info.misses, info


async def test_the_workflow_module_is_read_from_disk_once_and_run_fresh_for_each_workflow() -> None:
    finder = runner.remember_workflow_modules()
    assert "workflows.order" in finder.names
    assert runner.remember_workflow_modules() is finder  # installed once
    runner._RememberedSource._codes.clear()
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(TEST_KEYS.encryption),
        workflow_runner=workflow_runner(),
    )
    history = WorkflowHistory.from_json(HISTORY.stem, HISTORY.read_text())
    for _ in range(3):  # three workflows, each in its own fresh copy of the module
        result = await replayer.replay_workflow(history)
        assert result.replay_failure is None
    paths = [path for path, _ in runner._RememberedSource._codes]
    assert paths == [str(Path(runner.__file__).with_name("order.py"))]
