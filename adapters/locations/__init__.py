"""Location integrations: one module per kind, all behind ``LocationAdapter``."""

from adapters.locations.base import EventSink, LocationAdapter, LocationRefused
from adapters.locations.registry import LocationAdapters

__all__ = ["EventSink", "LocationAdapter", "LocationAdapters", "LocationRefused"]
