"""The workflows a worker runs and the sandbox they run in (shared with tests and the replayer).

Two speed-ups of Temporal's stock sandbox, on unless ``DOM_SANDBOX_SPEEDUPS=false``: the
SDK's glue snippets compiled once, and the workflow module's code kept in memory. Both
lean on SDK internals; why, what they gain and how they are guarded: docs/performance.md,
"The sandbox speed-ups".
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import logging
import os
import sys
from collections.abc import Sequence
from types import CodeType, ModuleType
from typing import Any

import temporalio
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.order import OrderWorkflow
from workflows.returns import ReturnWorkflow

log = logging.getLogger(__name__)

WORKFLOWS = [OrderWorkflow, ReturnWorkflow]

# The temporalio release the speed-ups were written against and measured on: the one place
# it is pinned (pyproject.toml keeps temporalio below the next minor release). On any other
# release the worker runs the stock sandbox, and tests/workflows/test_runner.py fails, so an
# upgrade re-checks the private shape below and re-measures (docs/performance.md) before
# moving this.
MEASURED_ON_TEMPORALIO = "1.35.0"

# Pure modules that workflows import: loaded once, not re-imported into every sandbox.
# The workflow's own helpers (workflows.packages and the rest) keep no module state.
PASSTHROUGH_MODULES = (
    "domain",
    "activities",
    "workflows.continuation",
    "workflows.inbox",
    "workflows.options",
    "workflows.packages",
    "workflows.placement",
    "workflows.search",
    "workflows.timeline",
    "pydantic",
    "email_validator",
    "idna",
    "yaml",
)

try:  # the SDK's sandboxed instance (private: see MEASURED_ON_TEMPORALIO)
    from temporalio.worker.workflow_sandbox._runner import _Instance as _SdkInstance
except ImportError:  # pragma: no cover - another SDK layout: the stock runner is used
    _SdkInstance = None  # type: ignore[assignment,misc]


@functools.lru_cache(maxsize=64)
def _compiled(code: str) -> CodeType:
    """The sandbox's glue snippet, compiled once (as ``exec`` of the string would do each time)."""
    return compile(code, "<string>", "exec")


if _SdkInstance is not None and callable(getattr(_SdkInstance, "_run_code", None)):

    class _Instance(_SdkInstance):
        """The SDK's sandboxed instance, running its glue snippets compiled once
        (docs/performance.md, "The sandbox speed-ups")."""

        def _run_code(self, code: Any, **extra_globals: Any) -> None:
            compiled = _compiled(code) if isinstance(code, str) else code
            # The SDK types ``code`` as str; it only hands it to ``exec``, which takes both.
            super()._run_code(compiled, **extra_globals)  # type: ignore[arg-type]

else:  # pragma: no cover
    _Instance = None  # type: ignore[assignment,misc]
    log.warning("temporalio's sandbox changed shape: workflow steps compile on every call")


class _RememberedSource(importlib.machinery.SourceFileLoader):
    """A source module's loader that reads and unmarshals its code once per file version."""

    # One cache for every loader. Two threads missing at once both read the file and
    # store equal code objects: no lock needed (a dict's item assignment is atomic).
    _codes: dict[tuple[str, int], CodeType] = {}

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        key = (path, os.stat(path).st_mtime_ns)
        code = self._codes.get(key)
        if code is None:
            code = super().get_code(fullname)
            assert code is not None
            self._codes[key] = code
        return code


class WorkflowModuleFinder(importlib.abc.MetaPathFinder):
    """Gives the workflow modules the sandbox re-imports for every workflow a loader that
    keeps their code in memory (docs/performance.md, "The sandbox speed-ups")."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _RememberedSource(spec.loader.name, spec.loader.path)
        return spec


def remember_workflow_modules() -> WorkflowModuleFinder:
    """Install the finder for ``WORKFLOWS``' modules (once per process)."""
    for finder in sys.meta_path:
        if isinstance(finder, WorkflowModuleFinder):
            return finder
    finder = WorkflowModuleFinder([cls.__module__ for cls in WORKFLOWS])
    sys.meta_path.insert(0, finder)
    return finder


class CompiledSandboxRunner(SandboxedWorkflowRunner):
    """Temporal's sandbox, unchanged but for compiling its glue snippets once."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        if _Instance is None:  # pragma: no cover
            return super().create_instance(det)
        return _Instance(det, self.runner_class, self.restrictions)


def workflow_runner(*, speedups: bool = True) -> SandboxedWorkflowRunner:
    """The sandbox, with Switchyard's pure modules passed through; ``speedups`` False:
    Temporal's stock runner, touching no SDK internals (``DOM_SANDBOX_SPEEDUPS``)."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    if speedups and temporalio.__version__ != MEASURED_ON_TEMPORALIO:
        # Never lean on another release's internals unchecked: the stock sandbox is slower,
        # never wrong.
        log.warning(
            "temporalio %s is not %s, which the sandbox speed-ups were checked on: "
            "running the stock sandbox",
            temporalio.__version__,
            MEASURED_ON_TEMPORALIO,
        )
        speedups = False
    if not speedups:
        return SandboxedWorkflowRunner(restrictions=restrictions)
    remember_workflow_modules()
    return CompiledSandboxRunner(restrictions=restrictions)
