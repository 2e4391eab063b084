"""Which time zone a location keeps: its own setting, else its ZIP code's, offline.

The ``zipcodes`` package names each ZIP's IANA zone. A few hundred ZIPs have none (or a
malformed one); they, and locations given only as lat/lon, take the zone of the nearest
ZIP that has one. Each answer is cached: a network has a few dozen locations, so the
package's scan (about 1 ms) runs once per location, and no second index of 40,000 ZIPs
is kept in memory beside ``domain.geo``'s.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.geo import Point, miles_between, normalize_zip, zip_point
from domain.models import Location


@cache
def _valid(name: str) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=4096)
def nearest_zone(lat: float, lon: float) -> str:
    """The zone of the ZIP nearest to (lat, lon) that names a real one."""
    import zipcodes  # lazily, as domain.geo does: it reads a 40k-row file

    here = Point(lat, lon)
    every: list[dict[str, Any]] = zipcodes.list_all()  # the package's own cached list
    # A cheap box first, so the exact distance runs on a handful of ZIPs.
    for box in (0.5, 2.0, 8.0, 360.0):
        near: list[tuple[float, float, str]] = [
            (float(z["lat"]), float(z["long"]), z["timezone"])
            for z in every
            if abs(float(z["lat"]) - lat) <= box
            and abs(float(z["long"]) - lon) <= box
            and _valid(z.get("timezone") or "")
        ]
        if near:
            return min(near, key=lambda p: miles_between(here, Point(p[0], p[1])))[2]
    raise LookupError("no ZIP code has a time zone")  # only with an empty ZIP list


@lru_cache(maxsize=65536)
def zip_zone(postal_code: str) -> str:
    """The IANA zone of a ZIP code (the nearest ZIP's if it names none)."""
    import zipcodes

    found: list[dict[str, Any]] = zipcodes.matching(normalize_zip(postal_code))
    zone: str = (found[0].get("timezone") or "") if found else ""
    if _valid(zone):
        return zone
    point = zip_point(postal_code)
    return nearest_zone(point.lat, point.lon)


def location_zone(location: Location) -> ZoneInfo:
    """The time zone ``location`` keeps: its ``timezone``, else its ZIP's, else its point's."""
    return _zone(location.timezone, location.postal_code, location.lat, location.lon)


@lru_cache(maxsize=4096)
def _zone(
    timezone: str | None, postal_code: str | None, lat: float | None, lon: float | None
) -> ZoneInfo:
    if timezone:
        return ZoneInfo(timezone)
    if postal_code is not None:
        return ZoneInfo(zip_zone(postal_code))
    assert lat is not None and lon is not None, "a Location has a postal_code or lat/lon"
    return ZoneInfo(nearest_zone(lat, lon))
