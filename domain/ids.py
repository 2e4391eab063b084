"""Ids and names shared by the API and the workflows, so they never disagree."""

from __future__ import annotations

TASK_QUEUE = "switchyard"
_ORDER_PREFIX = "order-"
_FULFILLMENT_SEP = "-F"


def order_workflow_id(order_id: str) -> str:
    """``order-<order_id>``: Temporal refuses a second workflow with it."""
    return f"{_ORDER_PREFIX}{order_id}"


def order_id_from_workflow_id(workflow_id: str) -> str:
    """The inverse of ``order_workflow_id``."""
    if not workflow_id.startswith(_ORDER_PREFIX):
        raise ValueError(f"{workflow_id!r} is not an order workflow id")
    return workflow_id[len(_ORDER_PREFIX) :]


def fulfillment_id(order_id: str, number: int) -> str:
    """The stable id of an order's ``number``-th package: ``<order_id>-F<number>``."""
    return f"{order_id}{_FULFILLMENT_SEP}{number}"


def order_id_of_fulfillment(fulfillment_id_: str) -> str:
    """The order a fulfillment id belongs to; raises ValueError for a malformed id."""
    order_id, sep, number = fulfillment_id_.rpartition(_FULFILLMENT_SEP)
    if not sep or not order_id or not number.isdigit():
        raise ValueError(f"{fulfillment_id_!r} is not a fulfillment id")
    return order_id


_RETURN_PREFIX = "return-"
_RETURN_SEP = "-R"


def return_id(order_id: str, number: int) -> str:
    """The ``number``-th return of an order: ``<order_id>-R<number>``."""
    return f"{order_id}{_RETURN_SEP}{number}"


def return_workflow_id(return_id_: str) -> str:
    """``return-<return_id>``: Temporal refuses a second workflow with it."""
    return f"{_RETURN_PREFIX}{return_id_}"


def order_id_of_return(return_id_: str) -> str:
    """The order a return id belongs to; raises ValueError for a malformed id."""
    order_id, sep, number = return_id_.rpartition(_RETURN_SEP)
    if not sep or not order_id or not number.isdigit():
        raise ValueError(f"{return_id_!r} is not a return id")
    return order_id
