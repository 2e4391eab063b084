"""The rules of a return, in plain Python: what may come back, where to, for how much,
and which reports of a received parcel fit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import InvalidOrder, ReturnEventRefused, ReturnRefused
from domain.geo import Point
from domain.models import FulfillmentStatus
from domain.return_states import ReturnStatus
from domain.returns import (
    ReturnReport,
    ReturnRequest,
    ReturnView,
    authorize,
    check_receipt,
    is_repeat_report,
    restock_of,
    return_location,
    shipped_lines,
)
from tests.support.builders import small_network
from tests.support.returns import shipped_order

NOW = datetime.now(UTC)
WINDOW = timedelta(days=30)


def ask(*lines: tuple[str, int], **extra: object) -> ReturnRequest:
    return ReturnRequest.model_validate(
        {"lines": [{"line_id": i, "quantity": q, "reason": "too small"} for i, q in lines], **extra}
    )


def test_a_shipped_line_may_come_back_and_says_what_it_refunds() -> None:
    lines = authorize(shipped_order(), ask(("1", 2)), {}, now=NOW, window=WINDOW)
    assert [(line.line_id, line.sku, line.quantity) for line in lines] == [("1", "WIDGET", 2)]
    view = _view(lines)
    assert view.refund_due == Decimal("48.00")
    assert view.refund is None  # nothing received yet


def test_an_order_without_prices_has_no_refund_figure() -> None:
    lines = authorize(shipped_order(price=None), ask(("1", 1)), {}, now=NOW, window=WINDOW)
    assert _view(lines).refund_due is None


def test_an_unknown_line_is_a_422_naming_it() -> None:
    with pytest.raises(InvalidOrder, match="no line '9'") as refused:
        authorize(shipped_order(), ask(("1", 1), ("9", 1)), {}, now=NOW, window=WINDOW)
    assert refused.value.field == ("lines", 1, "line_id")


def test_more_than_shipped_less_earlier_returns_is_refused_naming_the_line() -> None:
    with pytest.raises(ReturnRefused, match=r"line 1: 2 unit.* 2 shipped and 1 already"):
        authorize(shipped_order(), ask(("1", 2)), {"1": 1}, now=NOW, window=WINDOW)
    # what is left may still come back
    assert authorize(shipped_order(), ask(("1", 1)), {"1": 1}, now=NOW, window=WINDOW)


def test_a_line_named_twice_counts_twice() -> None:
    with pytest.raises(ReturnRefused, match="line 1: 3 unit"):
        authorize(shipped_order(), ask(("1", 2), ("1", 1)), {}, now=NOW, window=WINDOW)
    (line,) = authorize(shipped_order(), ask(("1", 1), ("1", 1)), {}, now=NOW, window=WINDOW)
    assert line.quantity == 2


def test_a_line_that_never_shipped_is_refused() -> None:
    order = shipped_order()
    order.fulfillments[0].status = FulfillmentStatus.PACKED
    with pytest.raises(ReturnRefused, match=r"line 1 .* never shipped"):
        authorize(order, ask(("1", 1)), {}, now=NOW, window=WINDOW)


def test_past_the_window_is_refused_and_the_window_counts_from_the_shipment() -> None:
    order = shipped_order(shipped_at=NOW - timedelta(days=31))
    with pytest.raises(ReturnRefused, match="past the return window of 30 day"):
        authorize(order, ask(("1", 1)), {}, now=NOW, window=WINDOW)
    assert authorize(order, ask(("1", 1)), {}, now=NOW, window=timedelta(days=32))
    with pytest.raises(ReturnRefused, match="window of 0 day"):
        authorize(shipped_order(), ask(("1", 1)), {}, now=NOW, window=timedelta(0))


def test_units_of_one_sku_in_two_lines_go_to_the_lines_in_order() -> None:
    order = shipped_order(widgets=3)
    order.lines[0].quantity = 2
    order.lines.append(order.lines[0].model_copy(update={"line_id": "3", "quantity": 2}))
    shipped = shipped_lines(order)
    assert (shipped["1"].units, shipped["3"].units) == (2, 1)


def test_the_parcel_goes_to_the_named_location_or_the_nearest_that_takes_returns() -> None:
    network = small_network()  # EAST near New York, WEST in Los Angeles
    near_la = Point(34.1, -118.3)
    assert return_location(network, near_la, None).id == "WEST"
    assert return_location(network, near_la, "EAST").id == "EAST"
    network.locations[1].returns = False
    assert return_location(network, near_la, None).id == "EAST"
    with pytest.raises(ReturnRefused, match="WEST takes no returns"):
        return_location(network, near_la, "WEST")
    with pytest.raises(InvalidOrder, match="unknown location 'MARS'"):
        return_location(network, near_la, "MARS")


def test_a_report_must_fit_the_return() -> None:
    view = _view(authorize(shipped_order(), ask(("1", 2)), {}, now=NOW, window=WINDOW))
    fits = _report(("1", 1, "sellable"), ("1", 1, "damaged"))
    check_receipt(view, fits)
    with pytest.raises(ReturnEventRefused, match=r"3 unit.*2 were authorized"):
        check_receipt(view, _report(("1", 3, "sellable")))
    with pytest.raises(ReturnEventRefused, match="line '2' is not part"):
        check_receipt(view, _report(("2", 1, "sellable")))
    restock = restock_of(view, fits, "location:EAST")
    assert (restock.sellable, restock.damaged) == ({"WIDGET": 1}, {"WIDGET": 1})
    view.received, view.received_event_id = fits.lines, fits.event_id
    view.status = ReturnStatus.RECEIVED
    assert is_repeat_report(view, fits)
    assert view.refund == Decimal("48.00")  # damaged units are refunded too
    assert view.counts() == {"sellable": 1, "damaged": 1}
    with pytest.raises(ReturnEventRefused, match="already received"):
        check_receipt(view, _report(("1", 1, "sellable"), event_id="other"))


def _view(lines: list) -> ReturnView:  # type: ignore[type-arg]
    return ReturnView(
        return_id="A1-R1",
        order_id="A1",
        status=ReturnStatus.AUTHORIZED,
        location_id="EAST",
        lines=lines,
        authorized_at=NOW,
    )


def _report(*lines: tuple[str, int, str], event_id: str = "rcv-1") -> ReturnReport:
    return ReturnReport.model_validate(
        {
            "type": "received",
            "event_id": event_id,
            "lines": [{"line_id": i, "quantity": q, "condition": c} for i, q, c in lines],
        }
    )


async def test_an_order_reads_without_its_returns_while_the_database_cannot_answer() -> None:
    from adapters.store.errors import StoreUnavailable
    from services.returns import returns_of

    class DownStore:
        def returns_of(self, order_id: str) -> list[object]:
            raise StoreUnavailable("the database cannot answer now")

    assert await returns_of(DownStore(), "A1") == []  # type: ignore[arg-type]
