"""What-if replay: route a file of orders against a network's stock, without Temporal.

Orders are replayed in file order; each routed plan takes its units out of the stock, so
later orders see what earlier ones left (safety stock still applies). Daily capacity is
not simulated: the orders carry no dates. Each run writes ``decisions.jsonl`` (a line per
order) and ``summary.json``; ``report.html`` (see ``report.py``) shows runs side by side.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from domain.checkout import OrderRequest
from domain.models import DeliveryType, Network, PlacedOrder
from domain.network_file import NetworkFileError
from domain.routing.engine import POLICIES, Policy, route
from domain.routing.prices import DemandForecast, StockPrices, compute_prices
from domain.routing.rules import Rules, safety_stock_for
from domain.routing.types import RoutingDecision, RoutingLine, RoutingRequest


class OrdersFileError(ValueError):
    """An orders file that cannot be replayed; the message names the line and the field."""


def _where(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Any) -> str:
    """Pydantic's message without its "Value error, " prefix."""
    return str(error["msg"]).removeprefix("Value error, ")


def _yaml_line(text: str, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (as deep as the path exists)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
        elif isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == part]
            if not match:
                break
            key, node = match[0]
            line = key.start_mark.line + 1
            continue
        else:
            break
        line = node.start_mark.line + 1
    return line


def load_network_file(path: Path) -> Network:
    """A network file, with errors naming the line, the entry and the field."""
    try:
        text = path.read_text()
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise NetworkFileError(f"{path}: {exc}") from None
    try:
        return Network.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            line = _yaml_line(text, error["loc"])
            at = f"line {line}: " if line else ""
            problems.append(f"{at}{_where(error['loc'])}: {_message(error)}")
        raise NetworkFileError(f"{path}: " + "; ".join(problems)) from None


def load_orders(path: Path, network: Network) -> list[OrderRequest]:
    """Every order in a JSONL file of checkout bodies, checked against ``network``."""
    skus = {s.sku for s in network.skus}
    locations = {loc.id for loc in network.locations}
    orders = []
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise OrdersFileError(f"{path}: {exc}") from None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        where = f"{path} line {number}"
        try:
            order = OrderRequest.model_validate_json(text)
        except ValidationError as exc:
            problems = "; ".join(
                f"{_where(e['loc'])}: {_message(e)}" if e["loc"] else _message(e)
                for e in exc.errors()
            )
            raise OrdersFileError(f"{where}: {problems}") from None
        for i, line in enumerate(order.lines):
            if line.sku not in skus:
                raise OrdersFileError(f"{where}: lines[{i}].sku: unknown SKU {line.sku!r}")
        if order.pickup_location_id is not None and order.pickup_location_id not in locations:
            raise OrdersFileError(
                f"{where}: pickup_location_id: unknown location {order.pickup_location_id!r}"
            )
        orders.append(order)
    return orders


def routing_request(order: PlacedOrder) -> RoutingRequest:
    """What the router is asked for an order (as the order workflow asks it); a checkout
    body (``OrderRequest``) is one too."""
    point = order.ship_to.point
    return RoutingRequest(
        order_id=order.order_id,
        dest_lat=point.lat,
        dest_lon=point.lon,
        lines=[RoutingLine(sku=line.sku, quantity=line.quantity) for line in order.lines],
        service_level=order.service_level,
        delivery=order.delivery,
        pickup_location_id=order.pickup_location_id
        if order.delivery is DeliveryType.PICKUP
        else None,
        channel=order.channel,
    )


@dataclass(slots=True)
class Run:
    """One replay: a policy under a set of rules, and what it decided."""

    name: str
    policy: Policy
    rules: Rules
    rules_source: str
    decisions: list[dict[str, Any]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    stranded_units: int = 0  # left in stock of SKUs some unfilled order asked for
    price_refreshes: int = 0
    price_seconds: float = 0.0


def _record(decision: RoutingDecision, ms: float) -> dict[str, Any]:
    """A decisions.jsonl line: what was shipped from where, at what cost."""
    plan = decision.plan
    record: dict[str, Any] = {"order_id": decision.order_id, "status": decision.status}
    if plan is None:
        record.update(packages=[], cost=None, reason=decision.reason)
    else:
        record["packages"] = [
            {
                "location_id": p.location_id,
                "lines": [{"sku": line.sku, "quantity": line.quantity} for line in p.lines],
                "cost": str(p.cost),
                "transit_days": p.transit_days,
                "zone": p.zone,
            }
            for p in plan.packages
        ]
        record["cost"] = str(plan.cost)
        record["transit_days"] = plan.transit_days
        if decision.policy == "lookahead":
            record["opportunity"] = str(plan.breakdown.opportunity)
            record["explanation"] = decision.explanation
    record["decision_ms"] = round(ms, 4)
    return record


def replay(
    network: Network,
    orders: Sequence[PlacedOrder],
    rules: Rules,
    policy: Policy = "optimal",
    *,
    name: str | None = None,
    rules_source: str = "built-in",
    progress: Callable[[], None] | None = None,
    history: Sequence[PlacedOrder] = (),
) -> Run:
    """Route ``orders`` in turn against ``network``'s stock, depleting it; time each call.

    Under ``lookahead`` expected demand is learnt from ``history`` (earlier orders) and
    from the orders replayed so far, never from those still to come; prices are
    recomputed from the stock left every ``rules.lookahead.refresh_orders`` orders, over
    the next ``horizon_orders`` orders (at most what is left of the replay), outside the
    timed routing call, as a background job would.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
    stock: dict[str, dict[str, int]] = {}
    for loc in network.locations:
        for sku, units in loc.stock.items():
            stock.setdefault(sku, {})[loc.id] = units
    run = Run(name=name or policy, policy=policy, rules=rules, rules_source=rules_source)
    settings = rules.lookahead
    forecast: DemandForecast | None = None
    if policy == "lookahead":
        forecast = DemandForecast.from_requests(
            (routing_request(o) for o in history), settings.region_degrees
        )
    prices: StockPrices | None = None
    short_skus: set[str] = set()
    for n, order in enumerate(orders):
        request = routing_request(order)
        if forecast is not None and n % settings.refresh_orders == 0 and forecast.orders:
            started = time.perf_counter()
            prices = compute_prices(
                network, stock, forecast, rules, min(settings.horizon_orders, len(orders) - n),
                weight=settings.price_weight,
            )  # fmt: skip
            run.price_seconds += time.perf_counter() - started
            run.price_refreshes += 1
        start = time.perf_counter()
        decision = route(request, network, stock, rules, policy=policy, prices=prices)
        elapsed = (time.perf_counter() - start) * 1000
        if decision.plan is not None:
            for package in decision.plan.packages:
                for line in package.lines:
                    stock[line.sku][package.location_id] -= line.quantity
        else:
            short_skus.update(line.sku for line in request.lines)
        if forecast is not None:
            forecast.add(request)
        run.decisions.append(_record(decision, elapsed))
        run.latencies_ms.append(elapsed)
        if progress is not None:
            progress()
    held_back = {loc.id: safety_stock_for(loc, rules) for loc in network.locations}
    run.stranded_units = sum(
        max(units - held_back.get(loc_id, 0), 0)
        for sku in short_skus
        for loc_id, units in stock.get(sku, {}).items()
    )
    run.summary = summarize(run)
    return run


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summarize(run: Run) -> dict[str, Any]:
    """The figures a planner compares runs by (summary.json)."""
    from decimal import Decimal

    routed = [d for d in run.decisions if d["status"] == "routed"]
    splits = sum(1 for d in routed if len(d["packages"]) > 1)
    total = sum((Decimal(d["cost"]) for d in routed), Decimal("0.00"))
    days = [d["transit_days"] for d in routed]
    units: dict[str, int] = {}
    zones: dict[str, int] = {}
    packages_per_order: dict[str, int] = {}
    for d in routed:
        count = str(len(d["packages"]))
        packages_per_order[count] = packages_per_order.get(count, 0) + 1
        for p in d["packages"]:
            shipped = sum(line["quantity"] for line in p["lines"])
            units[p["location_id"]] = units.get(p["location_id"], 0) + shipped
            zone = "pickup" if p["zone"] is None else str(p["zone"])
            zones[zone] = zones.get(zone, 0) + 1
    return {
        "name": run.name,
        "policy": run.policy,
        "rules": run.rules_source,
        "rules_version": run.rules.version,
        "orders": len(run.decisions),
        "routed": len(routed),
        "unfulfillable": len(run.decisions) - len(routed),
        "packages": sum(len(d["packages"]) for d in routed),
        "split_orders": splits,
        "split_rate": round(splits / len(routed), 4) if routed else 0.0,
        "stranded_units": run.stranded_units,
        "total_cost": str(total),
        "mean_cost": str((total / len(routed)).quantize(Decimal("0.01")) if routed else "0.00"),
        "mean_transit_days": round(sum(days) / len(days), 3) if days else 0.0,
        "max_transit_days": max(days, default=0),
        "decision_ms": {
            "p50": round(_percentile(run.latencies_ms, 50), 4),
            "p99": round(_percentile(run.latencies_ms, 99), 4),
        },
        "price_refreshes": run.price_refreshes,
        "price_seconds": round(run.price_seconds, 2),
        "packages_per_order": dict(sorted(packages_per_order.items(), key=lambda kv: int(kv[0]))),
        "zone_mix": dict(sorted(zones.items(), key=lambda kv: (kv[0] == "pickup", kv[0]))),
        "units_by_location": dict(sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def run_names(
    policies: Sequence[str], rules_names: Sequence[str]
) -> Iterator[tuple[str, str, int]]:
    """(run name, policy, rules index) for every policy under every set of rules."""
    for r, rules_name in enumerate(rules_names):
        for policy in policies:
            name = policy if len(rules_names) == 1 else f"{policy}@{rules_name}"
            yield name, policy, r
