"""What the order workflow's decision loop waits on: news, queued in arrival order.

Plain data, kept out of ``workflows/`` on purpose: the workflow sandbox re-executes a
workflow module for every new workflow instance, and this module is passed through
(imported once per worker), so defining these classes costs nothing per order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from domain.fulfillment import FulfillmentView
from domain.orders import CancelRequest, RerouteRequest, RerouteResult, ShortfallNotice


@dataclass
class Ticket:
    """An operator's request, waiting for the loop; the update handler awaits ``done``."""

    kind: Literal["reroute", "cancel"]
    reroute: RerouteRequest | None = None
    cancel: CancelRequest | None = None
    done: bool = False
    error: str | None = None
    reroute_result: RerouteResult | None = None


@dataclass
class Inbox:
    """Packages that closed, units a location could not find, operators' tickets, and
    whether stock arrived; true while anything waits."""

    closed: list[FulfillmentView] = field(default_factory=list)
    shortfalls: list[ShortfallNotice] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    stock_arrived: bool = False

    def __bool__(self) -> bool:
        return bool(self.closed or self.shortfalls or self.tickets or self.stock_arrived)
