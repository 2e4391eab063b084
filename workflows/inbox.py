"""What the order workflow's decision loop waits on: news, queued in arrival order.

Plain data, passed through the workflow sandbox (``workflows/runner.py``): imported once
per worker, not re-executed for every order as the workflow's own module is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.fulfillment import FulfillmentView
from domain.orders import RerouteRequest, RerouteResult, ShortfallNotice


@dataclass
class Ticket:
    """An operator's reroute, waiting for its turn in the loop (every allocation is made
    one at a time); the update handler awaits ``done``, then answers ``result`` or ``error``."""

    reroute: RerouteRequest
    done: bool = False
    error: str | None = None
    result: RerouteResult | None = None


@dataclass
class Inbox:
    """Packages that closed, units a location could not find, operators' reroutes, and
    whether stock arrived; true while anything waits."""

    closed: list[FulfillmentView] = field(default_factory=list)
    shortfalls: list[ShortfallNotice] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    stock_arrived: bool = False

    def __bool__(self) -> bool:
        return bool(self.closed or self.shortfalls or self.tickets or self.stock_arrived)
