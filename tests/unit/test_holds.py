"""The rules of holds, without Temporal: when one runs out, and what a new hold may still
keep back (the order workflow's validator asks ``Holds.check_hold``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import HoldRefused
from domain.holds import HoldReason, HoldRequest, HoldTerms, expired, hold_from, next_expiry
from domain.models import OrderStatus
from domain.routing.types import RoutingLine
from tests.support.builders import shipping_order_view
from workflows.holds import Holds

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
R = HoldReason


def test_a_hold_runs_out_after_its_hours_and_the_first_to_run_out_wins() -> None:
    day = hold_from(HoldTerms(reason=R.PAYMENT_PENDING, expires_in_hours=24), actor="shop", now=NOW)
    hour = hold_from(HoldTerms(reason=R.OTHER, expires_in_hours=1), actor="ana", now=NOW)
    never = hold_from(HoldTerms(reason=R.FRAUD_REVIEW, note=""), actor="ana", now=NOW)
    assert day.expires_at == NOW + timedelta(hours=24) and day.lasted == "24 h"
    assert never.expires_at is None and never.note is None
    assert next_expiry([day, never, hour]) == NOW + timedelta(hours=1)
    assert next_expiry([never]) is None
    assert expired([day, hour], NOW + timedelta(minutes=59)) is None
    assert expired([day, hour], NOW + timedelta(hours=30)) is hour


def holds_on(view: Any, *, placing: bool = False) -> Holds:
    """Holds over ``view`` with nothing of the workflow behind them (only the checks run)."""
    ended = view.status.is_final
    return Holds(view, None, None, lambda: ended, lambda: None, placing=lambda: placing)  # type: ignore[arg-type]


def test_a_later_hold_is_refused_once_every_package_is_with_its_location() -> None:
    view = shipping_order_view()  # one package, dispatched
    with pytest.raises(HoldRefused, match=r"every package is already with its location"):
        holds_on(view).check_hold(HoldRequest(reason=R.OTHER))
    # ... but taken while units are being routed, or wait for stock.
    holds_on(view, placing=True).check_hold(HoldRequest(reason=R.OTHER))
    view.backordered = [RoutingLine(sku="SKIN-SERUM", quantity=1)]
    holds_on(view).check_hold(HoldRequest(reason=R.OTHER))


def test_a_hold_is_refused_on_an_ended_order_and_twice_for_one_reason() -> None:
    view = shipping_order_view()
    view.fulfillments = []  # still being routed: everything can be held
    holds_on(view).check_hold(HoldRequest(reason=R.ADDRESS_CHECK))
    view.holds = [hold_from(HoldTerms(reason=R.ADDRESS_CHECK), actor="ana", now=NOW)]
    with pytest.raises(HoldRefused, match="already on hold for address_check"):
        holds_on(view).check_hold(HoldRequest(reason=R.ADDRESS_CHECK))
    holds_on(view).check_hold(HoldRequest(reason=R.FRAUD_REVIEW))  # another reason: fine
    view.status = OrderStatus.SHIPPED
    with pytest.raises(HoldRefused, match="already shipped"):
        holds_on(view).check_hold(HoldRequest(reason=R.OTHER))
