"""The workflows a worker runs and the sandbox they run in (shared with tests and the replayer)."""

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

from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.order import OrderWorkflow

log = logging.getLogger(__name__)

WORKFLOWS = [OrderWorkflow]

# Pure modules that workflows import: loaded once, not re-imported into every sandbox.
PASSTHROUGH_MODULES = (
    "domain",
    "activities",
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

try:  # the SDK's sandboxed instance (private; checked below, never required)
    from temporalio.worker.workflow_sandbox._runner import _Instance as _SdkInstance
except ImportError:  # pragma: no cover - another SDK layout: the stock runner is used
    _SdkInstance = None  # type: ignore[assignment,misc]


@functools.lru_cache(maxsize=64)
def _compiled(code: str) -> CodeType:
    """The sandbox's glue snippet, compiled once (as ``exec`` of the string would do each time)."""
    return compile(code, "<string>", "exec")


if _SdkInstance is not None and callable(getattr(_SdkInstance, "_run_code", None)):

    class _Instance(_SdkInstance):  # type: ignore[misc,valid-type]
        """The SDK's sandboxed instance, running its glue snippets from compiled code.

        temporalio 1.35 runs every step into the sandbox as ``exec`` of a short string:
        each activation, and with a payload codec set each payload sequence of every
        activation and completion, several times over (``get_serialization_context``).
        ``exec`` of a string compiles it first; in a py-spy profile of ``dom worker``
        under load that compiling was a tenth of the worker's CPU. The snippets are a
        handful of constant strings, so each is compiled once; what runs is the same.
        """

        def _run_code(self, code: Any, **extra_globals: Any) -> None:
            super()._run_code(_compiled(code) if isinstance(code, str) else code, **extra_globals)

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
    """Finds the workflow modules the sandbox re-imports for every workflow it starts,
    and gives them a loader that keeps their code in memory.

    The sandbox runs each workflow in a fresh copy of its module, so it imports
    ``workflows/order.py`` again for every order: in a py-spy profile of ``dom worker``
    under load, reading the cached bytecode from disk and unmarshalling it was about 8%
    of the worker's CPU. What executes is the same code object, in a fresh module each
    time, exactly as an import from the ``.pyc`` would; an edited file is read again."""

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


def workflow_runner() -> SandboxedWorkflowRunner:
    """The default sandbox, with Switchyard's pure domain modules passed through."""
    remember_workflow_modules()
    return CompiledSandboxRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )
