"""The names on the wire (workflow, activities, updates, signal, query) are the ones every
recorded history uses: renaming a Python method or module must never rename one of them."""

from __future__ import annotations

from pathlib import Path

from temporalio import activity, workflow
from temporalio.client import WorkflowHistory

from activities.dispatch import DispatchActivities
from activities.events import EventActivities
from activities.inventory import InventoryActivities
from activities.returns import ReturnActivities
from adapters.order_signals import STOCK_ARRIVED
from workflows.order import OrderWorkflow
from workflows.returns import ReturnWorkflow

HISTORIES = sorted((Path(__file__).parent.parent / "histories").rglob("*.json"))

ACTIVITIES = {
    InventoryActivities.allocate: "allocate",
    InventoryActivities.release_reservations: "release_reservations",
    InventoryActivities.commit_shipment: "commit_shipment",
    InventoryActivities.record_shortfall: "record_shortfall",
    InventoryActivities.record_backorder: "record_backorder",
    DispatchActivities.dispatch_fulfillment: "dispatch_fulfillment",
    DispatchActivities.cancel_fulfillment_at_location: "cancel_fulfillment_at_location",
    EventActivities.publish_event: "publish_event",
    ReturnActivities.receive_return: "receive_return",
    ReturnActivities.set_return_status: "set_return_status",
}


def _activity_name(method: object) -> str | None:
    definition = activity._Definition.from_callable(method)  # type: ignore[arg-type]
    return definition.name if definition else None


def test_each_activity_keeps_its_name_on_the_wire() -> None:
    assert {_activity_name(method): name for method, name in ACTIVITIES.items()} == {
        name: name for name in ACTIVITIES.values()
    }


def test_the_order_workflow_keeps_its_names_on_the_wire() -> None:
    definition = workflow._Definition.from_class(OrderWorkflow)
    assert definition is not None and definition.name == "OrderWorkflow"
    assert set(definition.updates) == {"report_event", "cancel", "reroute", "hold", "release_hold"}
    assert set(definition.signals) == {"stock_arrived"} == {STOCK_ARRIVED}
    assert set(definition.queries) == {"state"}


def test_the_return_workflow_keeps_its_names_on_the_wire() -> None:
    definition = workflow._Definition.from_class(ReturnWorkflow)
    assert definition is not None and definition.name == "ReturnWorkflow"
    assert set(definition.updates) == {"report"}
    assert set(definition.signals) == set()
    assert set(definition.queries) == {"state"}


def test_every_name_a_recorded_history_uses_is_still_defined() -> None:
    orders = workflow._Definition.from_class(OrderWorkflow)
    returns = workflow._Definition.from_class(ReturnWorkflow)
    assert orders is not None and returns is not None
    updates = {*orders.updates, *returns.updates}
    used: dict[str, set[str]] = {
        "workflow": set(),
        "activity": set(),
        "signal": set(),
        "update": set(),
    }
    for path in HISTORIES:
        for event in WorkflowHistory.from_json(path.stem, path.read_text()).events:
            if event.HasField("workflow_execution_started_event_attributes"):
                started = event.workflow_execution_started_event_attributes
                used["workflow"].add(started.workflow_type.name)
            elif event.HasField("activity_task_scheduled_event_attributes"):
                scheduled = event.activity_task_scheduled_event_attributes
                used["activity"].add(scheduled.activity_type.name)
            elif event.HasField("workflow_execution_signaled_event_attributes"):
                used["signal"].add(event.workflow_execution_signaled_event_attributes.signal_name)
            elif event.HasField("workflow_execution_update_accepted_event_attributes"):
                accepted = event.workflow_execution_update_accepted_event_attributes
                used["update"].add(accepted.accepted_request.input.name)
    assert used["workflow"] == {orders.name, returns.name}
    assert used["activity"] <= set(ACTIVITIES.values()), used["activity"]
    assert used["signal"] <= set(orders.signals), used["signal"]
    assert used["update"] <= updates, used["update"]
    assert used["activity"] and used["signal"] and used["update"]  # the check has teeth
