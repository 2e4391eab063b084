"""Delivery promises in plain Python: cut-offs, weekends, time zones, and the options
made from routing decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from domain.geo import zip_point
from domain.models import DeliveryType, Location, LocationKind, ServiceLevel
from domain.promise import (
    DEFAULT_CUTOFF,
    delivery_date,
    next_business_day,
    ready_by,
    ship_date,
    ship_option,
    trial_allocation,
)
from domain.routing.types import Plan, PlannedPackage, RoutingDecision, RoutingLine
from domain.timezones import location_zone, nearest_zone, zip_zone
from starter.api.schemas import PromiseRequest

NEW_YORK = ZoneInfo("America/New_York")
DENVER = ZoneInfo("America/Denver")
# 2026-11-23 is a Monday.
MONDAY, TUESDAY, FRIDAY, SATURDAY, SUNDAY = (date(2026, 11, d) for d in (23, 24, 27, 28, 29))
NEXT_MONDAY = date(2026, 11, 30)


def at(day: date, hh: int, mm: int, zone: ZoneInfo) -> datetime:
    """A local wall-clock moment, as the UTC instant the API receives."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=zone).astimezone(UTC)


# --- the calendar -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("placed", "cutoff", "leaves"),
    [
        (at(MONDAY, 9, 0, NEW_YORK), time(15, 0), MONDAY),
        (at(MONDAY, 14, 59, NEW_YORK), time(15, 0), MONDAY),
        (at(MONDAY, 15, 0, NEW_YORK), time(15, 0), TUESDAY),  # at the cut-off is too late
        (at(MONDAY, 23, 30, NEW_YORK), time(15, 0), TUESDAY),
        (at(FRIDAY, 16, 0, NEW_YORK), time(15, 0), NEXT_MONDAY),
        (at(SATURDAY, 8, 0, NEW_YORK), time(15, 0), NEXT_MONDAY),
        (at(SUNDAY, 8, 0, NEW_YORK), time(15, 0), NEXT_MONDAY),
        (at(MONDAY, 13, 59, NEW_YORK), None, MONDAY),  # the default cut-off, 14:00
        (at(MONDAY, 14, 0, NEW_YORK), None, TUESDAY),
    ],
)
def test_a_package_leaves_today_only_before_the_local_cutoff_on_a_business_day(
    placed: datetime, cutoff: time | None, leaves: date
) -> None:
    assert ship_date(placed, NEW_YORK, cutoff) == leaves


def test_the_cutoff_is_the_locations_local_time_not_the_customers() -> None:
    placed = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)  # 15:30 in Newark, 13:30 in Denver

    assert ship_date(placed, NEW_YORK, time(15, 0)) == TUESDAY
    assert ship_date(placed, DENVER, time(15, 0)) == MONDAY


def test_late_evening_utc_is_still_the_same_local_day_out_west() -> None:
    placed = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday in UTC, Monday 20:00 in Denver

    assert ship_date(placed, DENVER, time(21, 0)) == MONDAY


def test_the_cutoff_follows_daylight_saving_time() -> None:
    # 19:30 UTC is 15:30 EDT in July but 14:30 EST in January.
    assert ship_date(datetime(2026, 7, 13, 19, 30, tzinfo=UTC), NEW_YORK, time(15, 0)) == date(
        2026, 7, 14
    )
    assert ship_date(datetime(2026, 1, 12, 19, 30, tzinfo=UTC), NEW_YORK, time(15, 0)) == date(
        2026, 1, 12
    )


@pytest.mark.parametrize(
    ("shipped", "days", "arrives"),
    [
        (MONDAY, 0, MONDAY),
        (MONDAY, 1, TUESDAY),
        (MONDAY, 4, FRIDAY),
        (FRIDAY, 1, NEXT_MONDAY),  # no weekend deliveries
        (date(2026, 11, 26), 2, NEXT_MONDAY),  # Thursday + 2 business days
        (MONDAY, 5, NEXT_MONDAY),
        (MONDAY, 10, date(2026, 12, 7)),
    ],
)
def test_transit_days_are_business_days(shipped: date, days: int, arrives: date) -> None:
    assert delivery_date(shipped, days) == arrives


def test_negative_transit_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        delivery_date(MONDAY, -1)


def test_the_next_business_day_skips_the_weekend() -> None:
    assert next_business_day(MONDAY) == TUESDAY
    assert next_business_day(FRIDAY) == NEXT_MONDAY
    assert next_business_day(SATURDAY) == NEXT_MONDAY


def test_ready_by_is_in_the_stores_local_time() -> None:
    ready = ready_by(datetime(2026, 11, 23, 18, 0, tzinfo=UTC), DENVER, timedelta(hours=2))

    assert ready.isoformat() == "2026-11-23T13:00:00-07:00"


# --- time zones -------------------------------------------------------------------------


def test_a_zip_codes_zone_comes_from_the_zipcodes_data() -> None:
    assert zip_zone("07114") == "America/New_York"
    assert zip_zone("84104") == "America/Denver"
    assert zip_zone("60601") == "America/Chicago"
    assert zip_zone("85004") == "America/Phoenix"  # no daylight saving time in Arizona


def test_a_zip_without_a_usable_zone_takes_the_nearest_ones() -> None:
    assert zip_zone("99634") == "America/Anchorage"  # the data says "Napakiak"


def test_a_location_uses_its_own_zone_then_its_zip_then_its_point() -> None:
    base = {"id": "L", "kind": LocationKind.WAREHOUSE}
    assert location_zone(Location(**base, postal_code="07114")).key == "America/New_York"
    chosen = Location(**base, postal_code="07114", timezone="America/Chicago")
    assert location_zone(chosen).key == "America/Chicago"
    reno = Location(**base, lat=39.53, lon=-119.81)
    assert location_zone(reno).key == "America/Los_Angeles"
    assert nearest_zone(39.74, -104.99) == "America/Denver"


def test_a_location_refuses_an_unknown_zone_and_a_zoned_cutoff() -> None:
    base = {"id": "L", "kind": LocationKind.WAREHOUSE, "postal_code": "07114"}
    with pytest.raises(ValidationError, match="time zone"):
        Location(**base, timezone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError, match="local time"):
        Location(**base, cutoff="15:00+02:00")
    assert Location(**base, cutoff="15:30").cutoff == time(15, 30)


# --- options from decisions -------------------------------------------------------------


def _location(location_id: str, postal_code: str, cutoff: str | None = None) -> Location:
    return Location(
        id=location_id, kind=LocationKind.WAREHOUSE, postal_code=postal_code, cutoff=cutoff
    )


def _package(location_id: str, days: int, **lines: int) -> PlannedPackage:
    return PlannedPackage(
        location_id=location_id,
        lines=[RoutingLine(sku=s, quantity=q) for s, q in lines.items()],
        transit_days=days,
    )


def test_a_split_arrives_with_its_last_package_each_leaving_by_its_own_cutoff() -> None:
    newark = _location("NWK", "07114", cutoff="15:00")
    slc = _location("SLC", "84104", cutoff="17:00")
    decision = RoutingDecision(
        order_id="promise",
        status="routed",
        plan=Plan(
            packages=[_package("NWK", 4, SERUM=1), _package("SLC", 1, CLEANSER=1)],
            breakdown={"total": "20.10"},
            cost=Decimal("20.10"),
            transit_days=4,
        ),
    )
    located = {loc.id: (loc, location_zone(loc)) for loc in (newark, slc)}
    placed = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 16:00 Newark, 14:00 Salt Lake City

    option = ship_option(decision, ServiceLevel.GROUND, located, placed)

    assert option.split is True and option.cost == Decimal("20.10")
    nwk, slc_package = option.packages
    assert (nwk.ship_date, nwk.estimated_delivery_date) == (TUESDAY, NEXT_MONDAY)
    assert (slc_package.ship_date, slc_package.estimated_delivery_date) == (MONDAY, TUESDAY)
    assert option.estimated_delivery_date == NEXT_MONDAY
    assert (nwk.cutoff, nwk.timezone) == (time(15, 0), "America/New_York")
    assert slc_package.timezone == "America/Denver"


def test_a_location_without_a_cutoff_uses_the_default() -> None:
    plain = _location("NWK", "07114")
    decision = RoutingDecision(
        order_id="promise",
        status="routed",
        plan=Plan(
            packages=[_package("NWK", 1, SERUM=1)],
            breakdown={},
            cost=Decimal("9"),
            transit_days=1,
        ),
    )
    option = ship_option(
        decision, ServiceLevel.EXPRESS, {"NWK": (plain, NEW_YORK)}, at(MONDAY, 13, 0, NEW_YORK)
    )

    assert option.packages[0].cutoff == DEFAULT_CUTOFF
    assert (option.split, option.estimated_delivery_date) == (False, TUESDAY)


def test_the_trial_allocation_asks_what_the_order_workflow_asks() -> None:
    """The workflow's first allocation: units merged by SKU in first-appearance order, the
    ship-to point, the order's service level, delivery and channel; dry run."""
    promise = PromiseRequest.model_validate(
        {
            "lines": [
                {"sku": "SERUM", "quantity": 1},
                {"sku": "CLEANSER", "quantity": 2},
                {"sku": "SERUM", "quantity": 3},
            ],
            "ship_to": {"postal_code": "80202"},
            "channel": "web",
        }
    )
    point = zip_point("80202")

    request = trial_allocation(promise, point, service_level=ServiceLevel.EXPRESS)

    assert [(line.sku, line.quantity) for line in request.lines] == [("SERUM", 4), ("CLEANSER", 2)]
    assert (request.dest_lat, request.dest_lon) == (point.lat, point.lon)
    assert (request.service_level, request.delivery, request.channel) == (
        ServiceLevel.EXPRESS,
        DeliveryType.SHIP,
        "web",
    )
    assert (
        request.dry_run and not request.exclude_location_ids and request.force_location_id is None
    )
    pickup = trial_allocation(
        promise, point, service_level=ServiceLevel.GROUND, delivery=DeliveryType.PICKUP,
        pickup_location_id="CHI-STORE",
    )  # fmt: skip
    assert (pickup.delivery, pickup.pickup_location_id) == (DeliveryType.PICKUP, "CHI-STORE")


def test_a_promise_needs_an_aware_time() -> None:
    body = {"lines": [{"sku": "S", "quantity": 1}], "ship_to": {"postal_code": "80202"}}
    with pytest.raises(ValidationError, match="at") as naive:
        PromiseRequest.model_validate({**body, "at": "2026-11-23T10:00:00"})
    assert [e["loc"] for e in naive.value.errors()] == [("at",)]
    aware = PromiseRequest.model_validate({**body, "at": "2026-11-23T10:00:00-05:00"})
    assert aware.at == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
