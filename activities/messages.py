"""Inputs of the inventory activities (plain pydantic, safe to import in workflows)."""

from __future__ import annotations

from pydantic import BaseModel


class ReleaseRequest(BaseModel):
    """Give back reserved units: one fulfillment's, or the whole order's when it is None."""

    order_id: str
    fulfillment_id: str | None = None
    reason: str
    # The package's closing status and location (``timed_out`` is an SLA breach); None
    # for the whole order's release and in histories recorded before. Only metrics read it.
    outcome: str | None = None
    location_id: str | None = None


class CommitRequest(BaseModel):
    """A package left the location: its reserved units leave the books."""

    order_id: str
    fulfillment_id: str
