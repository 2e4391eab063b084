"""Offline geography: US ZIP codes to coordinates, and great-circle miles.

The ``zipcodes`` package scans its whole list on every lookup (about 0.2 ms), so
the first lookup builds a dict index once and every later one is a dict hit.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from domain.errors import UnknownPostalCode

_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")
_EARTH_RADIUS_MILES = 3958.7613
_index: dict[str, tuple[float, float, str, str]] | None = None
_index_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Point:
    """A place on Earth in decimal degrees."""

    lat: float
    lon: float


def _zip_index() -> dict[str, tuple[float, float, str, str]]:
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                import zipcodes  # imported lazily: loading it reads a 40k-row file

                _index = {
                    z["zip_code"]: (float(z["lat"]), float(z["long"]), z["city"], z["state"])
                    for z in zipcodes.list_all()
                }
    return _index


def normalize_zip(postal_code: str) -> str:
    """Return the five-digit ZIP of ``postal_code`` or raise ``UnknownPostalCode``."""
    match = _ZIP.match(postal_code.strip())
    if not match:
        raise UnknownPostalCode(
            f"{postal_code!r} is not a US ZIP code (expected 5 digits, or ZIP+4)", "postal_code"
        )
    zip5 = match.group(1)
    if zip5 not in _zip_index():
        raise UnknownPostalCode(f"{postal_code!r} is not a known US ZIP code", "postal_code")
    return zip5


@lru_cache(maxsize=65536)
def zip_point(postal_code: str) -> Point:
    """Coordinates of a US ZIP code's centre; raises ``UnknownPostalCode``."""
    lat, lon, _, _ = _zip_index()[normalize_zip(postal_code)]
    return Point(lat, lon)


def zip_place(postal_code: str) -> str:
    """``"Denver, CO"`` for a ZIP code, for people reading a decision."""
    _, _, city, state = _zip_index()[normalize_zip(postal_code)]
    return f"{city}, {state}"


def zip_city(postal_code: str) -> tuple[str, str]:
    """The city and the state (two letters) a ZIP code's post office serves."""
    _, _, city, state = _zip_index()[normalize_zip(postal_code)]
    return city, state


def miles_between(a: Point, b: Point) -> float:
    """Great-circle distance in statute miles (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_MILES * math.asin(math.sqrt(h))
