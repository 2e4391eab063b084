"""How every process logs: readable lines, or JSON lines (``DOM_LOG_FORMAT=json``) that
carry the order's and the fulfillment's ids as fields wherever a line is about one.

The ids come from three places, so a search for ``order_id`` finds an order's every line:

* the API binds them per request (``bind_order``: the path's ``order_id`` and
  ``fulfillment_id``, a placed order's body), in a context variable;
* an activity's records carry the SDK's ``temporal_activity`` extra (``activity.logger``),
  a workflow's its ``temporal_workflow`` extra (``workflow.logger``): the order id is
  read from the workflow id (``order-<id>``);
* a line may pass them itself: ``extra={"order_id": ..., "fulfillment_id": ...}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from domain.ids import order_id_from_workflow_id, order_id_of_fulfillment

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that log a line per request or per migration step.
_NOISY = ("httpx", "alembic.runtime.migration")
_IDS = ("order_id", "fulfillment_id", "location_id")

_bound: ContextVar[dict[str, str] | None] = ContextVar("switchyard_log_ids", default=None)


def start_request(path_params: dict[str, Any]) -> None:
    """A new request: forget the ids of the one before (a kept-alive connection serves
    several in one task) and bind those its path names."""
    _bound.set({})
    bind_order(path_params.get("order_id"), path_params.get("fulfillment_id"))


def bind_order(order_id: str | None = None, fulfillment_id: str | None = None) -> None:
    """Name the order (and package) the current request or task is about: every record
    logged from it from now on carries their ids."""
    ids = dict(_bound.get() or {})
    if fulfillment_id:
        ids["fulfillment_id"] = fulfillment_id
        if not order_id:
            with suppress(ValueError):
                order_id = order_id_of_fulfillment(fulfillment_id)
    if order_id:
        ids["order_id"] = order_id
    _bound.set(ids)


@contextmanager
def order_context(order_id: str | None = None, fulfillment_id: str | None = None) -> Iterator[None]:
    """``bind_order`` for a block; the ids bound before come back after it."""
    token = _bound.set(dict(_bound.get() or {}))
    try:
        bind_order(order_id, fulfillment_id)
        yield
    finally:
        _bound.reset(token)


def ids_of(record: logging.LogRecord) -> dict[str, str]:
    """The order, fulfillment and location ids a record is about (those it has)."""
    ids: dict[str, str] = dict(_bound.get() or {})
    temporal = getattr(record, "temporal_workflow", None) or getattr(
        record, "temporal_activity", None
    )
    if isinstance(temporal, dict):
        workflow_id = temporal.get("workflow_id")
        if workflow_id:
            ids["workflow_id"] = str(workflow_id)
            with suppress(ValueError):
                ids["order_id"] = order_id_from_workflow_id(str(workflow_id))
    for name in _IDS:
        value = getattr(record, name, None)
        if value:
            ids[name] = str(value)
    return ids


class JsonLines(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the ids
    the record is about, the activity's or workflow's type, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **ids_of(record),
        }
        activity = getattr(record, "temporal_activity", None)
        if isinstance(activity, dict):
            line["activity"] = activity.get("activity_type")
            line["attempt"] = activity.get("attempt")
        workflow = getattr(record, "temporal_workflow", None)
        if isinstance(workflow, dict):
            line["workflow_type"] = workflow.get("workflow_type")
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextWithIds(logging.Formatter):
    """The readable format, with ``[order_id=... fulfillment_id=...]`` when there are ids."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = {k: v for k, v in ids_of(record).items() if k in ("order_id", "fulfillment_id")}
        if not ids:
            return text
        head, _, tail = text.partition("\n")
        tags = " ".join(f"{k}={v}" for k, v in ids.items())
        return f"{head} [{tags}]" + (f"\n{tail}" if tail else "")


def configure_logging(level: str, log_format: str = "text") -> None:
    """One log format for every command and process (``force``: replaces what a library
    installed before); libraries that log each request kept quiet."""
    from temporalio import activity, workflow

    json_lines = log_format == "json"
    # In JSON the SDK's workflow and activity details are fields, not text after the message.
    workflow.logger.workflow_info_on_message = not json_lines
    activity.logger.activity_info_on_message = not json_lines
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if json_lines else TextWithIds(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
