"""The order's holds: while one is active, packages the order routes and reserves wait
here instead of going to their locations; when the last is released they go out; when
one runs out the order is cancelled (``OrderWorkflow`` decides that, on its timer).

What a hold cannot stop: a package a location already has goes on (a cancel or a
reroute stops it). Passed through the workflow sandbox (loaded once per worker,
``workflows/runner.py``): it keeps no module state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow

from domain.errors import HoldRefused
from domain.holds import Hold, HoldRelease, HoldRequest, HoldTerms, expired, hold_from, next_expiry
from domain.orders import FulfillmentRequest, HoldResult, OrderView, PackageLines
from domain.routing.types import RoutingLine
from workflows.packages import Packages
from workflows.timeline import Timeline


class Holds:
    """The order's active holds (in its view) and the packages they keep back.

    ``ended``: true once the order's outcome is decided (a hold then makes no sense).
    ``changed``: sets the order's status after a hold comes or goes (before the timeline
    entry, so the event subscribers hear carries the new status). ``placing``: units are
    being routed and reserved right now (they will be kept back if a hold comes first)."""

    def __init__(
        self,
        view: OrderView,
        timeline: Timeline,
        packages: Packages,
        ended: Callable[[], bool],
        changed: Callable[[], None],
        placing: Callable[[], bool],
    ) -> None:
        self._view = view
        self._timeline = timeline
        self._packages = packages
        self._ended = ended
        self._changed = changed
        self._placing = placing
        self._waiting: list[FulfillmentRequest] = []  # routed, reserved, not sent

    @property
    def active(self) -> list[Hold]:
        return self._view.holds

    def keeps_order_open(self) -> bool:
        """An active hold, or packages waiting for its release: the order cannot finish."""
        return bool(self._view.holds or self._waiting)

    # --- the placement's side ---------------------------------------------------------

    def dispatch(self, request: FulfillmentRequest) -> None:
        """Send a package out, or keep it back while a hold is active."""
        if not self._view.holds:
            self._packages.start(request)
            return
        self._waiting.append(request)
        self._view.held.append(_lines_of(request, "held"))
        self._timeline.record(
            "package_held",
            reason=f"{request.fulfillment_id} at {request.location_id} waits for the hold's "
            "release",
        )

    def carry(self) -> list[FulfillmentRequest]:
        """The packages kept back, for the order's next run (the holds are in its view)."""
        return list(self._waiting)

    def restore(self, waiting: list[FulfillmentRequest]) -> None:
        """Go on keeping back what a previous run kept back."""
        self._waiting = list(waiting)

    # --- a hold placed, released, run out ---------------------------------------------

    def place_at_checkout(self, terms: HoldTerms, actor: str) -> None:
        """The order came in on hold: nothing is dispatched until it is released."""
        self._add(hold_from(terms, actor=actor, now=workflow.now()))

    def check_hold(self, request: HoldRequest) -> None:
        """HoldRefused (saying why) if this hold makes no sense now."""
        if self._ended():
            raise HoldRefused(f"cannot hold: the order is already {self._view.status.value}")
        same = next((h for h in self._view.holds if h.reason is request.reason), None)
        if same is not None:
            raise HoldRefused(
                f"the order is already on hold for {request.reason.value} "
                f"(since {same.since.isoformat()}, by {same.actor}); release it first"
            )
        if self._nothing_left_to_hold():
            gone = ", ".join(
                f"{f.fulfillment_id} ({f.status.value})" for f in self._view.fulfillments
            )
            raise HoldRefused(
                f"nothing left to hold: every package is already with its location ({gone}); "
                "cancel or reroute instead"
            )

    def hold(self, request: HoldRequest) -> HoldResult:
        """Hold what has not gone out (checked by ``check_hold``); the answer says which."""
        self._add(hold_from(request, actor=request.actor, now=workflow.now()))
        return self.result()

    def check_release(self, release: HoldRelease) -> None:
        if self._ended():
            raise HoldRefused(f"cannot release: the order is already {self._view.status.value}")
        if not any(h.reason is release.reason for h in self._view.holds):
            on = ", ".join(h.reason.value for h in self._view.holds) or "none"
            raise HoldRefused(f"no {release.reason.value} hold on this order (active: {on})")

    def release(self, release: HoldRelease) -> HoldResult:
        """Lift one hold (checked by ``check_release``); the last one lifted sends every
        package it kept back to its location, as reserved."""
        self._view.holds = [h for h in self._view.holds if h.reason is not release.reason]
        waiting: list[FulfillmentRequest] = []
        if not self._view.holds:
            waiting, self._waiting = self._waiting, []
            self._view.held = []
        self._changed()
        self._timeline.record("hold_released", reason=release.reason.value, actor=release.actor)
        for request in waiting:
            self._packages.start(request)
        self._changed()
        return self.result()

    def expires_in(self) -> timedelta | None:
        """How long until the first hold runs out (None: none does)."""
        ends = next_expiry(self._view.holds)
        return None if ends is None else max(ends - workflow.now(), timedelta(0))

    def run_out(self) -> Hold | None:
        """The hold that has run out, if one has (the order is then cancelled)."""
        hold = expired(self._view.holds, workflow.now())
        if hold is not None:
            self._timeline.record(
                "hold_expired", reason=f"hold {hold.reason.value} expired after {hold.lasted}"
            )
        return hold

    def end(self) -> None:
        """The order's outcome is decided: its holds no longer apply; what they kept back
        is released with the rest of the order's units (``OrderWorkflow._finish``)."""
        self._view.holds = []
        self._view.held = []
        self._waiting = []

    # --- answers ----------------------------------------------------------------------

    def result(self) -> HoldResult:
        """What the holds keep back now, and what goes on regardless."""
        held = list(self._view.held)
        if self._view.backordered:
            held.append(PackageLines(status="backordered", lines=list(self._view.backordered)))
        if not self._view.fulfillments and not self._waiting and not self._view.backordered:
            lines = [RoutingLine(sku=s, quantity=q) for s, q in _units(self._view).items()]
            held.append(PackageLines(status="unplaced", lines=lines))
        return HoldResult(
            order_id=self._view.order_id,
            status=self._view.status,
            holds=list(self._view.holds),
            held=held,
            already_dispatched=[
                PackageLines(
                    fulfillment_id=p.fulfillment_id,
                    location_id=p.location_id,
                    status=p.view.status.value,
                    lines=list(p.view.lines),
                )
                for p in self._packages.open()
            ],
        )

    def _add(self, hold: Hold) -> None:
        self._view.holds.append(hold)
        self._changed()
        detail: dict[str, object] = (
            {"expires_at": hold.expires_at.isoformat()} if (hold.expires_at) else {}
        )
        if hold.note:
            detail["note"] = hold.note
        self._timeline.record(
            "held", reason=hold.reason.value, actor=hold.actor, detail=detail or None
        )

    def _nothing_left_to_hold(self) -> bool:
        """Every unit is with a location or gone: the order routed, nothing waits for
        stock or for another hold's release."""
        if self._waiting or self._view.backordered or self._placing():
            return False
        return bool(self._view.fulfillments)


def _lines_of(request: FulfillmentRequest, status: str) -> PackageLines:
    return PackageLines(
        fulfillment_id=request.fulfillment_id,
        location_id=request.location_id,
        status=status,
        lines=list(request.lines),
    )


def _units(view: OrderView) -> dict[str, int]:
    units: dict[str, int] = {}
    for line in view.lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    return units
