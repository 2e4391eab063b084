"""An order's state as the API shows it, from what its workflow answered."""

from __future__ import annotations

from temporalio.client import WorkflowExecutionStatus

from domain.models import OrderStatus
from domain.orders import OrderView


def presented(view: OrderView) -> OrderView:
    """The view as the API shows it: the latest decision in ``routing``, and one timeline
    (the order's and its packages' entries, by time)."""
    if view.routing is None and view.routing_history:
        view.routing = view.routing_history[-1]
    view.events = sorted(
        view.events + [e for f in view.fulfillments for e in f.events], key=lambda e: e.at
    )
    return view


def ended_abnormally(view: OrderView, how: WorkflowExecutionStatus | None) -> OrderView:
    """The order as support must see it when its workflow closed without finishing it
    (terminated, timed out): ``failed``, saying why and what holds its units. An order
    that compensated on its way out (a cancel through Temporal, a bug) is already final."""
    if view.status.is_final:
        return view
    ended = how.name.lower().replace("_", " ") if how else "closed"
    return view.model_copy(
        update={
            "status": OrderStatus.FAILED,
            "reason": f"the order's workflow was {ended} in Temporal before the order finished;"
            " units it held stay reserved until `dom inventory check --repair` or"
            f" POST /orders/{view.order_id}/release-held-stock frees them",
            "pending": [],
        }
    )
