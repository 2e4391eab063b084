"""The bulk sync's body: a location's counts as JSON, or as a CSV file a WMS exports.

Both forms become one ``SyncRequest`` and are validated the same way, so a bad row gets
the same 422 either way (``counts[2].on_hand: ...``, with the CSV line number).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError, field_validator

from domain.checkout import EdgeModel
from domain.models import ID_PATTERN, Identifier, refused
from starter.api.store_errors import UnsupportedMediaType

CSV_TYPES = frozenset({"text/csv", "application/csv"})
CSV_COLUMNS = ("sku", "on_hand")
_WHOLE = re.compile(r"^[+-]?[0-9]{1,18}$")
_EOL = r"(\r\n|\n|\r)"
CSV_PATTERN = rf"^sku,on_hand({_EOL}{ID_PATTERN[1:-1]},[0-9]{{1,7}})+{_EOL}?$"
"""The CSV the schema states: a header, then ``sku,on_hand`` rows, any line endings (the
server reads more: other columns, blank lines, a BOM, spaces around values)."""


class SyncCount(EdgeModel):
    sku: Identifier
    on_hand: int = Field(ge=0, le=10_000_000)


class SyncRequest(EdgeModel):
    """Counts for one location, applied in one transaction."""

    counts: list[SyncCount] = Field(min_length=1, max_length=100_000)
    reason: str = Field(default="sync", min_length=1, max_length=500)
    reference: str | None = Field(default=None, max_length=200)

    @field_validator("counts")
    @classmethod
    def _each_sku_once(cls, counts: list[SyncCount]) -> list[SyncCount]:
        seen: dict[str, int] = {}
        for i, line in enumerate(counts):
            if line.sku in seen:
                raise refused(
                    "duplicate",
                    f"SKU {line.sku!r} is counted twice (counts[{seen[line.sku]}] and counts[{i}])",
                )
            seen[line.sku] = i
        return counts


class SyncChange(BaseModel):
    sku: str
    before: int
    after: int
    delta: int


class SyncResult(BaseModel):
    """What the sync changed; SKUs counted at what the books said are only counted."""

    location_id: str
    counted: int
    changed: list[SyncChange]
    unchanged: int
    woken_orders: list[str] = Field(default_factory=list)


async def read_counts(request: Request) -> SyncRequest:
    """The body as a ``SyncRequest``: JSON, or CSV (``sku,on_hand`` header; ``reason`` and
    ``reference`` from the query string). 422 naming the field; 415 for other types."""
    media_type = request.headers.get("content-type", "application/json").split(";")[0]
    media_type = media_type.strip().lower()
    body = await request.body()
    if media_type in CSV_TYPES:
        data, lines = _parse_csv(body)
        data["reason"] = request.query_params.get("reason", "sync")
        data["reference"] = request.query_params.get("reference")
        return _validated(lambda: SyncRequest.model_validate(data), lines)
    if media_type == "application/json" or media_type.endswith("+json"):
        return _validated(lambda: SyncRequest.model_validate_json(body), None)
    raise UnsupportedMediaType(
        f"send the counts as application/json or text/csv, not {media_type!r}"
    )


def _parse_csv(body: bytes) -> tuple[dict[str, Any], list[int]]:
    """Rows of a ``sku,on_hand`` CSV (other columns ignored) and each row's line number."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid(("body",), "the CSV is not UTF-8 text") from None
    # newline="": the csv module reads \r\n, \n and a lone \r itself (a StringIO that
    # splits on \n alone handed it "\r" inside a field: a 500 for a classic Mac export).
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _rows(reader)
    except csv.Error as exc:  # a field over the csv module's limit, a stray NUL...
        raise _invalid(
            ("body",), f"the CSV cannot be read: line {reader.line_num}: {exc}"
        ) from None


def _rows(reader: csv.DictReader[str]) -> tuple[dict[str, Any], list[int]]:
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise _invalid(
            ("body",),
            f"the CSV header must name {', '.join(CSV_COLUMNS)}; missing {', '.join(missing)}",
        )
    reader.fieldnames = header
    counts, lines = [], []
    for row in reader:
        values = {name: (row.get(name) or "").strip() for name in CSV_COLUMNS}
        if not any(values.values()):
            continue  # a blank line
        if _WHOLE.match(values["on_hand"]):  # CSV has only text; the model takes no "12"
            values["on_hand"] = int(values["on_hand"])
        counts.append(values)
        lines.append(reader.line_num)
    return {"counts": counts}, lines


def _validated(build: Any, csv_lines: list[int] | None) -> SyncRequest:
    try:
        result: SyncRequest = build()
        return result
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = ("body", *error["loc"])
            msg = str(error["msg"]).removeprefix("Value error, ")
            if csv_lines and len(error["loc"]) > 1 and error["loc"][0] == "counts":
                index = error["loc"][1]
                if isinstance(index, int) and index < len(csv_lines):
                    msg = f"{msg} (CSV line {csv_lines[index]})"
            problems.append({"loc": loc, "msg": msg, "type": error["type"], "input": None})
        raise RequestValidationError(problems) from None


def _invalid(loc: tuple[str, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": loc, "msg": message, "type": "value_error"}])


def _inline_refs(schema: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema with its ``#/$defs/...`` references written out in place."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline_refs(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline_refs(item, defs) for item in schema]
    return schema


def _sync_schema() -> dict[str, Any]:
    schema = SyncRequest.model_json_schema()
    inlined: dict[str, Any] = _inline_refs(schema, schema.get("$defs", {}))
    return inlined


SYNC_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _sync_schema()},
            "text/csv": {
                "schema": {"type": "string", "pattern": CSV_PATTERN},
                "example": "sku,on_hand\nSKIN-SERUM,12\nSKIN-CLEANSER,0\n",
            },
        },
    },
    "parameters": [
        {
            "name": "reason",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "default": "sync", "minLength": 1, "maxLength": 500},
            "description": "For a CSV body: why the counts changed (a JSON body says it itself)",
        },
        {
            "name": "reference",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "maxLength": 200},
            "description": "For a CSV body: the WMS export or batch id",
        },
    ],
}
