"""The cost model in exact integers, compiled once per ``Rules`` object.

A plan costs, for each package, ``base(zone) + handling + per_lb(zone) x weight``, plus
``split_penalty x (packages - 1)`` plus ``day_cost x`` the slowest package's transit days.

Floats would make equal plans differ in the last bit and break the tie-break, so the
engine counts money in units of 1e-10 dollars: rule money has at most 4 decimal places
($0.0001) and weights are whole micro-pounds, so ``per_lb x weight`` is an exact integer
too. Figures shown to people are rounded half-up to cents only at the edge.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from domain.models import LocationKind, ServiceLevel
from domain.routing.rules import Rules

MONEY_SCALE = 10_000
"""Rule money units per dollar ($0.0001)."""
WEIGHT_SCALE = 1_000_000
"""Weight units per pound (micro-pounds)."""
COST_SCALE = MONEY_SCALE * WEIGHT_SCALE
"""Exact cost units per dollar: a per-lb rate times a weight lands here with no rounding."""

_CENT = COST_SCALE // 100


def money_units(dollars: Decimal | float) -> int:
    """Dollars as whole $0.0001 units (floats go through their shortest decimal form)."""
    value = dollars if isinstance(dollars, Decimal) else Decimal(repr(dollars))
    return int((value * MONEY_SCALE).to_integral_value(ROUND_HALF_UP))


def weight_units(weight_lb: float) -> int:
    """A weight in pounds as whole micro-pounds."""
    return int((Decimal(repr(weight_lb)) * WEIGHT_SCALE).to_integral_value(ROUND_HALF_UP))


def to_dollars(cost: int) -> Decimal:
    """Exact cost units as dollars rounded half-up to the cent, e.g. ``Decimal("12.40")``."""
    cents = (cost + _CENT // 2) // _CENT
    dollars = _dollars.get(cents)
    if dollars is None:
        dollars = Decimal(cents).scaleb(-2)  # exponent -2: always two places, e.g. 12.40
        if len(_dollars) < 100_000:  # a decision shows the same few amounts many times
            _dollars[cents] = dollars
    return dollars


_dollars: dict[int, Decimal] = {}


def cost_units(dollars: Decimal) -> int:
    """Dollars (at most 4 decimal places) as exact cost units."""
    return money_units(dollars) * WEIGHT_SCALE


@dataclass(frozen=True, slots=True)
class ServiceTable:
    """One service level's rates by zone index (the position in ``Rules.zones``)."""

    base: tuple[int, ...]  # money units per package
    per_lb: tuple[int, ...]  # money units per pound
    transit_days: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """``Rules`` reduced to integer tables for the hot path."""

    zone_numbers: tuple[int, ...]
    zone_limits: tuple[float, ...]  # max_miles of every zone but the unbounded last one
    services: dict[ServiceLevel, ServiceTable]
    handling: dict[LocationKind, int]  # money units per package
    split_penalty: int  # cost units per package beyond the first
    day_cost: int  # cost units per transit day of the slowest package


def compile_rules(rules: Rules) -> CompiledRules:
    """The integer form of ``rules``, built once per rules object and kept while it lives."""
    key = id(rules)
    entry = _compiled.get(key)
    if entry is not None and entry[0]() is rules:
        return entry[1]
    numbers = tuple(z.zone for z in rules.zones)
    compiled = CompiledRules(
        zone_numbers=numbers,
        zone_limits=tuple(z.max_miles for z in rules.zones if z.max_miles is not None),
        services={
            level: ServiceTable(
                base=tuple(money_units(rates.base[n]) for n in numbers),
                per_lb=tuple(money_units(rates.per_lb[n]) for n in numbers),
                transit_days=tuple(rates.transit_days[n] for n in numbers),
            )
            for level, rates in rules.service_levels.items()
        },
        handling={kind: money_units(cost) for kind, cost in rules.handling_cost.items()},
        split_penalty=cost_units(rules.split_penalty),
        day_cost=cost_units(rules.day_cost),
    )
    _compiled[key] = (weakref.ref(rules, partial(_forget, _compiled, key)), compiled)
    return compiled


# id(rules) -> (a weak reference to it, its compiled form); entries leave with the rules.
_compiled: dict[int, tuple[weakref.ref[Rules], CompiledRules]] = {}


def _forget(
    cache: dict[int, tuple[weakref.ref[Rules], CompiledRules]], key: int, ref: object
) -> None:
    entry = cache.get(key)
    if entry is not None and entry[0] is ref:  # the id may already belong to new rules
        del cache[key]


def package_cost(base: int, handling: int, per_lb: int, weight: int) -> int:
    """One package in cost units: ``base + handling + per_lb x weight`` (money, micro-lb)."""
    return (base + handling) * WEIGHT_SCALE + per_lb * weight


def plan_cost(package_costs: list[int], slowest_days: int, compiled: CompiledRules) -> int:
    """A whole plan in cost units: its packages, the split penalty and the days cost."""
    packages = len(package_costs)
    return (
        sum(package_costs)
        + compiled.split_penalty * max(packages - 1, 0)
        + compiled.day_cost * slowest_days
    )
