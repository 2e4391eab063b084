"""Durations written the way people write them in config files: ``30m``, ``24h``, ``3d``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
MAX_SECONDS = 1_000_000_000  # about 31 years: beyond any deadline, and far from overflow
MAX_TEXT = 40
# What ``parse_duration`` reads, for an OpenAPI schema (a string; numbers are seconds).
DURATION_PATTERN = r"^ *([0-9]{1,9}(\.[0-9]{1,6})? *(ms|s|m|h|d|w) *)+$"


class DurationTooLong(ValueError):
    """A duration past ``MAX_SECONDS``: well formed, but beyond any deadline."""


def parse_duration(value: object) -> timedelta:
    """Parse ``"1h30m"``, ``"5s"``, ``"3d"`` or a number of seconds into a timedelta; any
    other value is a ``ValueError`` (a validator hands it what the caller sent)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 <= value <= MAX_SECONDS:  # also refuses NaN
            raise ValueError(f"a duration is between 0 and {MAX_SECONDS} seconds")
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError("a duration is a string such as 30m, or a number of seconds")
    if len(value) > MAX_TEXT:
        raise ValueError(f"a duration is at most {MAX_TEXT} characters")
    text = value.strip().replace(" ", "")
    if not text:
        raise ValueError("empty duration")
    pos, seconds = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text):
        raise ValueError(f"{value!r} is not a duration; write it like 30s, 15m, 24h or 3d")
    if seconds > MAX_SECONDS:  # the pattern cannot bound a sum of parts; this can
        raise DurationTooLong(f"a duration is at most {MAX_SECONDS} seconds")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The inverse of ``parse_duration`` for whole seconds (``5400s`` -> ``1h30m``)."""
    total = int(value.total_seconds())
    if total == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
