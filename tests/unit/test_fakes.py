"""The kit's fakes keep step with the ports they stand in for: a method the real gateway
gains, or a parameter it renames, fails here rather than as a puzzling test elsewhere."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from temporalio import activity

from activities.dispatch import DispatchActivities
from activities.inventory import InventoryActivities
from starter.gateway.orders import OrderGateway
from tests.support.fakes import FakeInventory, FakeLocations, FakeOrderGateway

PUBLIC = sorted(
    name
    for name, member in inspect.getmembers(OrderGateway, inspect.isfunction)
    if not name.startswith("_")
)


def test_the_gateway_has_methods_to_compare() -> None:
    assert {"place_order", "get_order", "report_event", "stock_arrived"} <= set(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_the_fake_gateway_is_called_as_the_real_one_is(name: str) -> None:
    real = inspect.signature(getattr(OrderGateway, name))
    fake = inspect.signature(getattr(FakeOrderGateway, name))
    assert fake == real, f"FakeOrderGateway.{name}{fake} != OrderGateway.{name}{real}"


def test_the_fake_gateway_has_a_client_as_the_real_one_does() -> None:
    assert isinstance(inspect.getattr_static(OrderGateway, "client"), property)
    assert hasattr(FakeOrderGateway(), "client")


def _names(functions: list[Callable[..., Any]]) -> set[str | None]:
    found = (activity._Definition.from_callable(fn) for fn in functions)
    return {definition.name for definition in found if definition is not None}


def _activities_of(cls: type) -> set[str | None]:
    return _names([member for _, member in inspect.getmembers(cls, inspect.isfunction)])


def test_the_fake_activities_stand_in_for_real_ones_by_name() -> None:
    """FakeInventory registers every inventory and location activity the order workflow
    calls, under the real names; FakeLocations the location ones."""
    real = _activities_of(InventoryActivities) | _activities_of(DispatchActivities)
    assert _names(FakeInventory(["X"]).activities()) == real
    locations = FakeLocations()
    assert _names([locations.dispatch, locations.cancel]) == _activities_of(DispatchActivities)
