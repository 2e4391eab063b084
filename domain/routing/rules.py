"""The routing rules a business sets: rates by zone, handling, penalties and hard constraints.

A ``Rules`` object is what a rules file (YAML) or ``PUT /routing/rules`` holds. It is
validated as a whole: every zone needs a rate and a transit time in every service level,
zones ascend and the last is unbounded. Problems raise ``RulesError`` whose message
starts with the offending field, e.g. ``service_levels.ground.base: zone 9 has no rate``.
"""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from domain.models import DeliveryType, Location, LocationKind, ServiceLevel

Money = Annotated[Decimal, Field(ge=0, le=100_000, decimal_places=4)]
"""Dollars, at most 4 decimal places (the engine computes in exact integers of $0.0001)."""

_ALL_KINDS = list(LocationKind)


class RulesError(ValueError):
    """A rules file or body that cannot be used; the message names the field at fault."""


class Zone(BaseModel):
    """A carrier zone: destinations up to ``max_miles`` away (``None``: everything farther)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zone: int = Field(ge=0, le=99)
    max_miles: float | None = Field(default=None, gt=0)


class ServiceRates(BaseModel):
    """One service level's price and speed, by zone number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: dict[int, Money]
    per_lb: dict[int, Money]
    transit_days: dict[int, Annotated[int, Field(ge=0, le=60)]]


class ChannelRules(BaseModel):
    """Extra constraints for orders from one sales channel (``OrderRequest.channel``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_kinds: list[LocationKind] | None = None
    max_packages: int | None = Field(default=None, ge=1, le=10)


class LookaheadSettings(BaseModel):
    """How the ``lookahead`` policy learns demand and prices stock (see ``prices.py``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    refresh_orders: int = Field(default=1000, ge=1)
    """Prices are recomputed after this many orders (in production: on a schedule)."""
    horizon_orders: int = Field(default=20_000, ge=1)
    """Orders of demand the prices look ahead to, e.g. those expected until restocking."""
    region_degrees: float = Field(default=3.0, gt=0, le=30)
    """Demand regions are cells of this many degrees of latitude and longitude."""
    price_weight: float = Field(default=1.0, ge=0, le=10)
    """Scales the LP's prices: 1 takes them as they are, 0 is the plain optimum."""


def _default_allowed_kinds() -> dict[DeliveryType, list[LocationKind]]:
    return {DeliveryType.SHIP: list(_ALL_KINDS), DeliveryType.PICKUP: [LocationKind.STORE]}


class Rules(BaseModel):
    """The cost model and constraints the router applies; ``version`` 0 is the built-in set.

    Treat an instance as immutable (it is frozen, but its dicts are not): the engine
    caches a compiled form of each instance.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(default=0, ge=0)
    zones: list[Zone] = Field(min_length=1)
    service_levels: dict[ServiceLevel, ServiceRates]
    handling_cost: dict[LocationKind, Money]
    split_penalty: Money = Decimal("0")
    day_cost: Money = Decimal("0")
    max_packages: int = Field(default=3, ge=1, le=10)
    safety_stock: dict[LocationKind, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    allowed_kinds: dict[DeliveryType, list[LocationKind]] = Field(
        default_factory=_default_allowed_kinds
    )
    channels: dict[str, ChannelRules] = Field(default_factory=dict)
    use_priority: bool = True
    policy: Literal["optimal", "lookahead"] = "optimal"
    """The routing policy when the caller does not name one."""
    lookahead: LookaheadSettings = Field(default_factory=LookaheadSettings)
    max_alternatives: int | None = Field(default=None, ge=0)
    """Single-location alternatives a decision lists, cheapest first (None: every one).

    The best split is listed as well, whatever this says."""

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        problems = _problems(self)
        if problems:
            raise PydanticCustomError("rules", "{problems}", {"problems": "; ".join(problems)})
        # A file that names only one delivery type keeps the default for the other.
        for delivery, kinds in _default_allowed_kinds().items():
            self.allowed_kinds.setdefault(delivery, kinds)
        return self

    def zone_for(self, miles: float) -> Zone:
        """The zone a destination ``miles`` away falls in."""
        for zone in self.zones:
            if zone.max_miles is None or miles <= zone.max_miles:
                return zone
        raise AssertionError("the last zone is unbounded")  # guaranteed by validation

    def kinds_allowed(self, delivery: DeliveryType, channel: str | None) -> set[LocationKind]:
        """Kinds of location that may fill an order of this delivery type and channel."""
        kinds = set(self.allowed_kinds.get(delivery, []))
        channel_rules = self.channels.get(channel) if channel else None
        if channel_rules is not None and channel_rules.allowed_kinds is not None:
            kinds &= set(channel_rules.allowed_kinds)
        return kinds

    def max_packages_for(self, channel: str | None) -> int:
        """The package limit for an order from ``channel`` (a channel may be stricter)."""
        channel_rules = self.channels.get(channel) if channel else None
        if channel_rules is not None and channel_rules.max_packages is not None:
            return channel_rules.max_packages
        return self.max_packages


def _problems(rules: Rules) -> list[str]:
    """Cross-field problems, each starting with the field path."""
    problems: list[str] = []
    numbers = [z.zone for z in rules.zones]
    for i, zone in enumerate(rules.zones):
        last = i == len(rules.zones) - 1
        if numbers.count(zone.zone) > 1:
            problems.append(f"zones[{i}].zone: zone {zone.zone} is listed twice")
        if last and zone.max_miles is not None:
            problems.append(
                f"zones[{i}].max_miles: the last zone must be unbounded (max_miles: null)"
            )
        if not last and zone.max_miles is None:
            problems.append(f"zones[{i}].max_miles: only the last zone may be unbounded")
        if i and zone.max_miles is not None:
            before = rules.zones[i - 1].max_miles
            if before is not None and zone.max_miles <= before:
                problems.append(
                    f"zones[{i}].max_miles: {zone.max_miles} must be above the previous "
                    f"zone's {before} (zones ascend)"
                )
    for level in ServiceLevel:
        if level not in rules.service_levels:
            problems.append(f"service_levels: no rates for {level.value!r}")
    for level, rates in rules.service_levels.items():
        for table in ("base", "per_lb", "transit_days"):
            values: dict[int, Any] = getattr(rates, table)
            where = f"service_levels.{level.value}.{table}"
            for number in numbers:
                if number not in values:
                    what = "transit time" if table == "transit_days" else "rate"
                    problems.append(f"{where}: zone {number} has no {what}")
            for number in sorted(set(values) - set(numbers)):
                problems.append(f"{where}: zone {number} is not one of the zones")
    for kind in LocationKind:
        if kind not in rules.handling_cost:
            problems.append(f"handling_cost: no cost for kind {kind.value!r}")
    for delivery, kinds in rules.allowed_kinds.items():
        if not kinds:
            problems.append(f"allowed_kinds.{delivery.value}: allow at least one kind")
    return problems


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for "the key itself is invalid"
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_rules(data: object, source: str = "rules") -> Rules:
    """Validate already-parsed YAML/JSON data as ``Rules``; raises ``RulesError``."""
    if not isinstance(data, dict):
        raise RulesError(f"{source}: expected a mapping of rule names to values")
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _where(error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise RulesError("; ".join(problems)) from None


LP_SOLVER_MISSING = (
    "the lookahead policy needs SciPy's LP solver, which `make run` does not install: "
    "pip install -e '.[lookahead]' (or 'switchyard[lookahead]'), or keep policy: optimal"
)


def lp_solver_installed() -> bool:
    """SciPy (HiGHS) is importable: the ``lookahead`` policy can price stock."""
    return importlib.util.find_spec("scipy") is not None


def usable_rules(rules: Rules, source: str = "rules") -> Rules:
    """``rules``, if this installation can route by them: ``policy: lookahead`` needs the
    LP solver (the ``lookahead`` extra); else ``RulesError`` naming the field. Checked where
    rules come in (``PUT /routing/rules``, a rules file), never on stored rules."""
    if rules.policy == "lookahead" and not lp_solver_installed():
        raise RulesError(f"{source}: policy: {LP_SOLVER_MISSING}")
    return rules


def load_rules(path: str | Path) -> Rules:
    """Load and validate a rules file (YAML or JSON); raises ``RulesError``."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{path}: {exc}") from None
    try:
        rules = parse_rules(data, str(path))
    except RulesError as exc:
        raise RulesError(f"{path}: {exc}") from None
    return usable_rules(rules, str(path))


@cache
def default_rules() -> Rules:
    """The built-in rules (version 0), read once from the package's ``default_rules.yaml``."""
    text = resources.files("domain.routing").joinpath("default_rules.yaml").read_text()
    return parse_rules(yaml.safe_load(text), "default rules")


def safety_stock_for(location: Location, rules: Rules) -> int:
    """Units per SKU held back at ``location``: its own setting, else its kind's default."""
    if location.safety_stock is not None:
        return location.safety_stock
    return rules.safety_stock.get(location.kind, 0)


def handling_for(location: Location, rules: Rules) -> Decimal:
    """Dollars per package for handling at ``location``: its own cost, else its kind's."""
    if location.handling_cost is not None:
        return Decimal(repr(location.handling_cost))
    return rules.handling_cost[location.kind]
