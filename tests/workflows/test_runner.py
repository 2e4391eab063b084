"""The sandbox runner compiles the SDK's glue snippets once and runs the workflows as the
stock sandbox does (every recorded history replays through it: test_replay.py); the SDK
internals it leans on are checked here, so an upgrade that moves them fails loudly."""

from __future__ import annotations

import inspect
from pathlib import Path

import temporalio
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from starter.bootstrap.temporal import data_converter
from tests.support.keys import TEST_KEYS
from workflows import runner
from workflows.runner import MEASURED_ON_TEMPORALIO, WORKFLOWS, workflow_runner

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
    # Each workflow module once (the replayer checks every registered workflow at start).
    assert sorted(paths) == [
        str(Path(runner.__file__).with_name(name)) for name in ("order.py", "returns.py")
    ]


def test_the_sdk_is_the_release_the_speedups_were_measured_on() -> None:
    assert temporalio.__version__ == MEASURED_ON_TEMPORALIO, (
        f"temporalio {temporalio.__version__}, but the sandbox speed-ups were checked and "
        f"measured on {MEASURED_ON_TEMPORALIO}: check the SDK internals below still hold, "
        "re-measure (docs/performance.md, 'The sandbox speed-ups'), then update "
        "MEASURED_ON_TEMPORALIO in workflows/runner.py"
    )


def test_the_sdk_internals_the_speedups_lean_on_keep_their_shape() -> None:
    from temporalio.worker.workflow_sandbox import _runner

    instance = getattr(_runner, "_Instance", None)
    assert instance is not None, "temporalio.worker.workflow_sandbox._runner._Instance is gone"
    assert runner._Instance is not None and issubclass(runner._Instance, instance)
    assert list(inspect.signature(instance.__init__).parameters) == [
        "self", "instance_details", "runner_class", "restrictions",
    ]  # fmt: skip
    assert list(inspect.signature(instance._run_code).parameters) == [
        "self", "code", "extra_globals",
    ]  # fmt: skip
    assert list(inspect.signature(SandboxedWorkflowRunner.create_instance).parameters) == [
        "self", "det",
    ]  # fmt: skip
    stock = SandboxedWorkflowRunner()
    assert hasattr(stock, "runner_class") and hasattr(stock, "restrictions")


async def test_with_the_speedups_off_the_stock_sandbox_runs_the_workflows() -> None:
    stock = workflow_runner(speedups=False)
    assert type(stock) is SandboxedWorkflowRunner
    runner._compiled.cache_clear()
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(TEST_KEYS.encryption),
        workflow_runner=stock,
    )
    history = WorkflowHistory.from_json(HISTORY.stem, HISTORY.read_text())
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
    assert runner._compiled.cache_info().currsize == 0  # nothing went through the speed-up


def test_on_another_sdk_release_the_worker_runs_the_stock_sandbox(monkeypatch) -> None:
    monkeypatch.setattr(temporalio, "__version__", "1.99.0")
    assert type(workflow_runner()) is SandboxedWorkflowRunner
    monkeypatch.setattr(temporalio, "__version__", MEASURED_ON_TEMPORALIO)
    assert type(workflow_runner()) is runner.CompiledSandboxRunner
