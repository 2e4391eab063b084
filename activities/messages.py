"""Inputs of the inventory activities (plain pydantic, safe to import in workflows)."""

from __future__ import annotations

from pydantic import BaseModel


class ReleaseRequest(BaseModel):
    """Give back reserved units: one fulfillment's, or the whole order's when it is None."""

    order_id: str
    fulfillment_id: str | None = None
    reason: str


class CommitRequest(BaseModel):
    """A package left the location: its reserved units leave the books."""

    order_id: str
    fulfillment_id: str
