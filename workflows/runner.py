"""The workflows a worker runs and the sandbox they run in (shared with tests and the replayer)."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.order import OrderWorkflow

WORKFLOWS = [OrderWorkflow]

# Pure modules that workflows import: loaded once, not re-imported into every sandbox.
PASSTHROUGH_MODULES = (
    "domain",
    "activities.names",
    "activities.messages",
    "pydantic",
    "email_validator",
    "idna",
    "yaml",
)


def workflow_runner() -> SandboxedWorkflowRunner:
    """The default sandbox, with Switchyard's pure domain modules passed through."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )
