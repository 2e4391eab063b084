"""Log lines as JSON (``DOM_LOG_FORMAT=json``) carry the order's and package's ids, from
the API's request context, the SDK's workflow and activity details, or the line itself."""

from __future__ import annotations

import json
import logging

from starter.bootstrap.log_format import JsonLines, TextWithIds, order_context, start_request


def record(message: str = "hello", **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("switchyard.test", logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(entry, key, value)
    return entry


def as_json(entry: logging.LogRecord) -> dict[str, object]:
    return json.loads(JsonLines().format(entry))


def test_a_workflow_line_names_the_order_from_the_workflow_id() -> None:
    line = as_json(
        record(
            "rejected: out of boxes",
            temporal_workflow={"workflow_id": "order-1001", "workflow_type": "OrderWorkflow"},
            fulfillment_id="1001-F1",
        )
    )
    assert line["order_id"] == "1001"
    assert line["fulfillment_id"] == "1001-F1"
    assert line["workflow_type"] == "OrderWorkflow"
    assert line["message"] == "rejected: out of boxes"
    assert line["level"] == "INFO"


def test_an_activity_line_names_the_order_and_the_activity() -> None:
    details = {"workflow_id": "order-A-7", "activity_type": "allocate", "attempt": 2}
    line = as_json(record("lost a race", temporal_activity=details))
    assert (line["order_id"], line["activity"], line["attempt"]) == ("A-7", "allocate", 2)


def test_an_api_request_binds_the_ids_its_path_names() -> None:
    with order_context():
        start_request({"location_id": "NWK-DC", "fulfillment_id": "B-2-F3"})
        line = as_json(record())
        assert (line["order_id"], line["fulfillment_id"]) == ("B-2", "B-2-F3")
        start_request({})  # the next request on the same connection names nothing
        assert "order_id" not in as_json(record())


def test_lines_about_nothing_carry_no_ids_and_exceptions_are_kept() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        entry = record("failed", exc_info=sys.exc_info())
    line = as_json(entry)
    assert "order_id" not in line
    assert "ValueError: boom" in str(line["exception"])


def test_text_lines_name_the_order_too() -> None:
    with order_context("C-3"):
        text = TextWithIds("%(levelname)s %(message)s").format(record("placed"))
    assert text == "INFO placed [order_id=C-3]"
