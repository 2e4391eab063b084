"""One package inside an order workflow: what the order knows about it while it is out.

A package is a small state machine run by the order workflow itself (no child workflow):
its ``view`` is what support and the location see; the flags say how far its own work
(dispatch, compensation) has gone. Plain data, passed through the workflow sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.fulfillment import FulfillmentView, is_delivered
from domain.models import FulfillmentStatus
from domain.orders import FulfillmentRequest, ShortfallNotice

S = FulfillmentStatus


@dataclass
class Package:
    """A package the order sent to a location, and the work still to do for it."""

    request: FulfillmentRequest
    view: FulfillmentView
    dispatched_at: datetime
    shortfalls: list[ShortfallNotice] = field(default_factory=list)
    dispatch_started: bool = False  # the location may have heard of it: tell it to stop
    stopped: bool = False  # the order took it back (cancel, reroute, the order ended)
    done: bool = False  # its units are committed or released: nothing more to do here

    @property
    def fulfillment_id(self) -> str:
        return self.view.fulfillment_id

    @property
    def location_id(self) -> str:
        return self.view.location_id

    @property
    def is_open(self) -> bool:
        """The location may still act on it (its status is open)."""
        return self.view.status.is_open

    def pending(self) -> str | None:
        """What the order still does for a package that is closed but not yet settled."""
        if self.done or self.is_open:
            return None
        if is_delivered(self.view.status):
            return f"{self.fulfillment_id}: committing the units that left {self.location_id}"
        if self.view.status in (S.TIMED_OUT, S.CANCELLED) and self.dispatch_started:
            return (
                f"{self.fulfillment_id}: telling {self.location_id} to stop, "
                "then releasing its units"
            )
        return f"{self.fulfillment_id}: releasing its units at {self.location_id}"
