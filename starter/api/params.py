"""Ids named in a path, declared once: the schema states the alphabet, and anything
else is a 422 naming the parameter before a route reads the store or Temporal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from domain.models import FULFILLMENT_ID_PATTERN, ID_PATTERN

OrderIdPath = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="An order id")]
LocationIdPath = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=64, description="A location id")
]
SkuPath = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="A SKU")]
ReturnIdPath = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}-R[0-9]{1,4}$",
        max_length=70,
        description="A return: its order's id and -R<n>, e.g. A100-R1",
    ),
]
FulfillmentIdPath = Annotated[
    str,
    Path(
        pattern=FULFILLMENT_ID_PATTERN,
        max_length=70,
        description="A package: its order's id and -F<n>, e.g. A100-F1",
    ),
]
