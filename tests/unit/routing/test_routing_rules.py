"""The rules file: what it accepts, and errors that name the field at fault."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.models import DeliveryType, Location, LocationKind
from domain.routing import (
    RulesError,
    default_rules,
    handling_for,
    load_rules,
    parse_rules,
    safety_stock_for,
)


def default_data() -> dict[str, Any]:
    return default_rules().model_dump(mode="json")


def problem_with(**changes: Any) -> str:
    data = default_data()
    data.update(changes)
    with pytest.raises(RulesError) as raised:
        parse_rules(data)
    return str(raised.value)


def test_built_in_rules_are_version_0_with_eight_zones() -> None:
    rules = default_rules()
    assert rules.version == 0
    assert [z.zone for z in rules.zones] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert rules.service_levels["ground"].base[4] == Decimal("9.35")
    assert rules.split_penalty == Decimal("3.00")
    assert rules.safety_stock == {LocationKind.STORE: 1}


@pytest.mark.parametrize(
    ("miles", "zone"), [(0, 1), (50, 1), (50.01, 2), (372, 4), (1000, 5), (1800.5, 8), (9000, 8)]
)
def test_zone_bands_include_their_upper_bound(miles: float, zone: int) -> None:
    assert default_rules().zone_for(miles).zone == zone


def test_a_round_trip_through_yaml_keeps_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(default_data()))
    assert load_rules(path) == default_rules()


def test_a_zone_without_a_rate_is_named() -> None:
    data = default_data()
    data["zones"][-1]["max_miles"] = 2500
    data["zones"].append({"zone": 9, "max_miles": None})
    with pytest.raises(RulesError, match=r"service_levels\.ground\.base: zone 9 has no rate"):
        parse_rules(data)


def test_a_missing_transit_time_is_named() -> None:
    data = default_data()
    del data["service_levels"]["express"]["transit_days"]["3"]
    with pytest.raises(RulesError, match=r"service_levels\.express\.transit_days: zone 3 has no"):
        parse_rules(data)


def test_a_rate_for_an_unknown_zone_is_named() -> None:
    data = default_data()
    data["service_levels"]["ground"]["per_lb"]["12"] = 3.0
    with pytest.raises(RulesError, match=r"service_levels\.ground\.per_lb: zone 12 is not one"):
        parse_rules(data)


def test_zones_must_ascend_and_only_the_last_is_unbounded() -> None:
    zones = default_data()["zones"]
    zones[2]["max_miles"] = 100  # below zone 2's 150
    assert "zones[2].max_miles: 100.0 must be above" in problem_with(zones=zones)
    zones = default_data()["zones"]
    zones[-1]["max_miles"] = 5000
    assert "zones[7].max_miles: the last zone must be unbounded" in problem_with(zones=zones)
    zones = default_data()["zones"]
    zones[3]["max_miles"] = None
    assert "zones[3].max_miles: only the last zone may be unbounded" in problem_with(zones=zones)


def test_every_service_level_and_kind_must_be_priced() -> None:
    data = default_data()
    assert "service_levels: no rates for 'express'" in problem_with(
        service_levels={"ground": data["service_levels"]["ground"]}
    )
    assert "handling_cost: no cost for kind 'supplier'" in problem_with(
        handling_cost={"warehouse": 1, "store": 2, "3pl": 3}
    )


def test_field_level_errors_name_the_path() -> None:
    assert problem_with(split_penalty=-1).startswith("split_penalty: ")
    assert "day_cost: Decimal input should have no more than 4 decimal places" in problem_with(
        day_cost=0.123456
    )
    assert "max_packages: " in problem_with(max_packages=0)
    assert "handling_cost.robot: " in problem_with(handling_cost={"robot": 1})
    assert "allowed_kinds.pickup: allow at least one kind" in problem_with(
        allowed_kinds={"pickup": []}
    )
    assert "channels.marketplace.allowed_kinds[0]: " in problem_with(
        channels={"marketplace": {"allowed_kinds": ["moon"]}}
    )
    assert problem_with(colour="red") == "colour: Extra inputs are not permitted"


def test_a_file_that_is_not_a_mapping_or_not_yaml_says_so(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(RulesError, match="expected a mapping"):
        load_rules(path)
    path.write_text("zones: [unclosed\n")
    with pytest.raises(RulesError, match=str(path)):
        load_rules(path)


def test_delivery_types_left_out_keep_their_defaults() -> None:
    rules = parse_rules({**default_data(), "allowed_kinds": {"ship": ["warehouse"]}})
    assert rules.allowed_kinds[DeliveryType.SHIP] == [LocationKind.WAREHOUSE]
    assert rules.allowed_kinds[DeliveryType.PICKUP] == [LocationKind.STORE]


def test_channels_narrow_the_kinds_and_may_lower_max_packages() -> None:
    rules = parse_rules(
        {
            **default_data(),
            "channels": {
                "marketplace": {"allowed_kinds": ["warehouse", "store"], "max_packages": 1}
            },
        }
    )
    assert rules.kinds_allowed(DeliveryType.SHIP, "marketplace") == {
        LocationKind.WAREHOUSE,
        LocationKind.STORE,
    }
    assert rules.kinds_allowed(DeliveryType.PICKUP, "marketplace") == {LocationKind.STORE}
    assert rules.kinds_allowed(DeliveryType.SHIP, "web") == set(LocationKind)
    assert rules.max_packages_for("marketplace") == 1
    assert rules.max_packages_for(None) == 3


def test_a_location_override_wins_over_its_kinds_default() -> None:
    rules = default_rules()
    store = Location(id="S", kind="store", postal_code="60601")
    assert safety_stock_for(store, rules) == 1
    assert safety_stock_for(store.model_copy(update={"safety_stock": 0}), rules) == 0
    warehouse = Location(id="W", kind="warehouse", postal_code="07114")
    assert safety_stock_for(warehouse, rules) == 0
    assert handling_for(store, rules) == Decimal("3.50")
    assert handling_for(store.model_copy(update={"handling_cost": 0.8}), rules) == Decimal("0.8")
