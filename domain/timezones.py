"""Which time zone a location keeps: its own setting, else its ZIP code's, offline.

The ``zipcodes`` package names each ZIP's IANA zone. A few hundred ZIPs have none (or a
malformed one); they, and locations given only as lat/lon, take the zone of the nearest
ZIP that has one. Lookups are indexed once and cached, like ``domain.geo``'s.
"""

from __future__ import annotations

import threading
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.geo import Point, miles_between, normalize_zip
from domain.models import Location

_lock = threading.Lock()
_index: tuple[dict[str, str], list[tuple[float, float, str]]] | None = None


@cache
def _valid(name: str) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _zones() -> tuple[dict[str, str], list[tuple[float, float, str]]]:
    """(zip -> zone, [(lat, lon, zone)]) for every ZIP whose zone is a real IANA name."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                import zipcodes  # lazily, as domain.geo does: it reads a 40k-row file

                by_zip: dict[str, str] = {}
                points: list[tuple[float, float, str]] = []
                for z in zipcodes.list_all():
                    zone = z.get("timezone") or ""
                    if _valid(zone):
                        by_zip[z["zip_code"]] = zone
                        points.append((float(z["lat"]), float(z["long"]), zone))
                _index = (by_zip, points)
    return _index


@lru_cache(maxsize=4096)
def nearest_zone(lat: float, lon: float) -> str:
    """The zone of the ZIP nearest to (lat, lon)."""
    here = Point(lat, lon)
    _, points = _zones()
    # A cheap box first, so the exact distance runs on a handful of ZIPs.
    for box in (0.5, 2.0, 8.0, 360.0):
        near = [p for p in points if abs(p[0] - lat) <= box and abs(p[1] - lon) <= box]
        if near:
            return min(near, key=lambda p: miles_between(here, Point(p[0], p[1])))[2]
    raise LookupError("no ZIP code has a time zone")  # only with an empty ZIP list


@lru_cache(maxsize=65536)
def zip_zone(postal_code: str) -> str:
    """The IANA zone of a ZIP code (the nearest ZIP's if it names none)."""
    from domain.geo import zip_point

    zone = _zones()[0].get(normalize_zip(postal_code))
    if zone is not None:
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
