"""Errors the service layer raises of its own (the domain's are in ``domain.errors``).

The API and the console map each to the same status (``starter.web_errors``)."""

from __future__ import annotations


class NotFound(LookupError):
    """A resource named in the request does not exist."""


class LocationExists(Exception):
    """A new location's id is already used by another location."""


class SkuExists(Exception):
    """A new SKU's code is already in the catalogue."""
