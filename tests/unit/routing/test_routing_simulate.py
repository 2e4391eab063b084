"""dom simulate: input errors that name the line, depletion, the files, and the baselines."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from domain.network_file import NetworkFileError
from domain.routing.simulate import OrdersFileError, load_network_file, load_orders, replay
from starter.cli.simulate import simulate
from tests.support.builders import address, network, order_body, rules_with

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from make_orders import make_network, make_orders


def body(order_id: str, lines: dict[str, int], postal_code: str = "80202") -> dict[str, object]:
    """An order line of the JSONL ``dom simulate`` reads, to a street in ``postal_code``."""
    return order_body(order_id, skus=lines, ship_to=address(postal_code))


def write_jsonl(path: Path, bodies: list[Any]) -> Path:
    path.write_text("".join((b if isinstance(b, str) else json.dumps(b)) + "\n" for b in bodies))
    return path


@pytest.fixture
def small_network():
    return network(
        [
            {"id": "DEN", "kind": "warehouse", "postal_code": "80202", "stock": {"A": 2, "B": 5}},
            {"id": "CHI", "kind": "warehouse", "postal_code": "60601", "stock": {"A": 5}},
        ],
        {"A": 1.0, "B": 0.5},
    )


def test_orders_errors_name_the_line_and_the_field(tmp_path: Path, small_network) -> None:
    good = body("O1", {"A": 1})
    cases = [
        (body("O2", {"NOPE": 1}), "line 2: lines[0].sku: unknown SKU 'NOPE'"),
        (
            body("O2", {"A": 1}, postal_code="00000"),
            "line 2: ship_to.postal_code: '00000' is not a known US ZIP code",
        ),
        ("{not json", "line 2: "),
        ({**body("O2", {"A": 1}), "lines": []}, "line 2: lines: "),
    ]
    for bad, expected in cases:
        path = write_jsonl(tmp_path / "orders.jsonl", [good, bad])
        with pytest.raises(OrdersFileError) as raised:
            load_orders(path, small_network)
        assert expected in str(raised.value)


def test_network_errors_name_the_line_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "network.yaml"
    path.write_text(
        "skus:\n  - {sku: A, weight_lb: 1}\nlocations:\n"
        "  - {id: W1, kind: warehouse, postal_code: '80202'}\n"
        "  - id: W2\n    kind: spaceport\n    postal_code: '80202'\n"
    )
    with pytest.raises(NetworkFileError, match=r"line 6: locations\[1\]\.kind: Input should be"):
        load_network_file(path)


def test_replay_depletes_stock_in_file_order(small_network) -> None:
    orders = load_orders_from([body("O1", {"A": 2}), body("O2", {"A": 5}), body("O3", {"A": 1})],
                              small_network)  # fmt: skip
    run = replay(small_network, orders, rules_with())
    first, second, third = run.decisions
    assert [p["location_id"] for p in first["packages"]] == ["DEN"]
    assert [p["location_id"] for p in second["packages"]] == ["CHI"]  # Denver has none left
    assert third["status"] == "unfulfillable"
    assert "A: need 1, 0 available" in third["reason"]
    summary = run.summary
    assert (summary["orders"], summary["routed"], summary["unfulfillable"]) == (3, 2, 1)
    assert summary["units_by_location"] == {"CHI": 5, "DEN": 2}
    assert set(summary["decision_ms"]) == {"p50", "p99"}
    assert Decimal(summary["total_cost"]) == Decimal(first["cost"]) + Decimal(second["cost"])


def load_orders_from(bodies: list[dict[str, Any]], net) -> list:
    from domain.checkout import OrderRequest

    return [OrderRequest.model_validate(b) for b in bodies]


def test_on_ample_stock_the_optimizer_never_costs_more_than_a_baseline() -> None:
    data = make_network(30, 60, seed=5, ample=True)
    net = network(data["locations"], {s["sku"]: s["weight_lb"] for s in data["skus"]})
    orders = load_orders_from(list(make_orders(data, 400, seed=6)), net)
    # Baselines ignore max_packages; with 5 the optimizer may use any plan they could.
    rules = rules_with(max_packages=5)
    runs = {p: replay(net, orders, rules, p) for p in ("optimal", "closest_first",
                                                       "single_location_first")}  # fmt: skip
    assert all(r.summary["routed"] == 400 for r in runs.values())
    best = runs["optimal"].decisions
    for policy in ("closest_first", "single_location_first"):
        for mine, theirs in zip(best, runs[policy].decisions, strict=True):
            assert Decimal(mine["cost"]) <= Decimal(theirs["cost"]), (policy, mine, theirs)
        assert Decimal(runs["optimal"].summary["total_cost"]) < Decimal(
            runs[policy].summary["total_cost"]
        )


def test_the_command_writes_the_files_and_a_self_contained_report(tmp_path: Path) -> None:
    data = make_network(12, 20, seed=3)
    net_path = tmp_path / "network.yaml"
    net_path.write_text(yaml.safe_dump(data))
    orders = write_jsonl(tmp_path / "orders.jsonl", list(make_orders(data, 40, seed=4)))
    other = tmp_path / "cheap-splits.yaml"
    other.write_text(yaml.safe_dump(rules_with(split_penalty="0.50").model_dump(mode="json")))
    app = typer.Typer()
    app.command("simulate")(simulate)
    app.command("noop")(lambda: None)  # two commands, as in the real CLI
    out = tmp_path / "out"
    args = ["simulate", "--network", str(net_path), "--orders", str(orders), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--policy", "optimal", "--policy", "closest_first",
                                      "--compare", str(other)])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["name"] == "optimal@built-in" and summary["orders"] == 40
    assert len((out / "decisions.jsonl").read_text().splitlines()) == 40
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert runs == [
        "closest_first@built-in",
        "closest_first@cheap-splits",
        "optimal@built-in",
        "optimal@cheap-splits",
    ]
    html = (out / "report.html").read_text()
    assert html.count("<svg") >= 5
    assert "<script" not in html and "http" not in html and "src=" not in html

    bad = write_jsonl(tmp_path / "bad.jsonl", [body("X", {"NOPE": 1})])
    result = CliRunner().invoke(app, ["simulate", "--network", str(net_path), "--orders",
                                      str(bad), "--out", str(out)])  # fmt: skip
    assert result.exit_code == 2
    assert "line 1: lines[0].sku: unknown SKU 'NOPE'" in result.output


def test_lookahead_learns_from_history_and_writes_the_same_files(tmp_path: Path) -> None:
    data = make_network(15, 20, seed=8)
    for loc in data["locations"]:  # scarce: a third of the generator's stock
        loc["stock"] = {s: max(u // 3, 2) for s, u in loc["stock"].items()}
    net_path = tmp_path / "network.yaml"
    net_path.write_text(yaml.safe_dump(data))
    orders = write_jsonl(tmp_path / "orders.jsonl", list(make_orders(data, 120, seed=9)))
    history = write_jsonl(tmp_path / "history.jsonl", list(make_orders(data, 200, seed=10)))
    rules = tmp_path / "often.yaml"
    rules.write_text(yaml.safe_dump(rules_with(lookahead={"refresh_orders": 50}).model_dump(
        mode="json")))  # fmt: skip
    app = typer.Typer()
    app.command("simulate")(simulate)
    app.command("noop")(lambda: None)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "simulate", "--network", str(net_path), "--orders", str(orders), "--history",
        str(history), "--rules", str(rules), "--out", str(out), "--policy", "lookahead",
        "--policy", "optimal",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy"] == "lookahead" and summary["price_refreshes"] == 3
    assert {"stranded_units", "split_rate", "mean_cost"} <= set(summary)
    assert summary["split_rate"] == round(summary["split_orders"] / summary["routed"], 4)
    # Never an invalid plan: every routed order shipped exactly its lines from stock held.
    net = load_network_file(net_path)
    left = {(loc.id, s): u for loc in net.locations for s, u in loc.stock.items()}
    bodies = {o.order_id: o for o in load_orders(orders, net)}
    for line in (out / "decisions.jsonl").read_text().splitlines():
        decision = json.loads(line)
        shipped: dict[str, int] = {}
        for package in decision["packages"]:
            for item in package["lines"]:
                left[(package["location_id"], item["sku"])] -= item["quantity"]
                shipped[item["sku"]] = shipped.get(item["sku"], 0) + item["quantity"]
        if decision["status"] == "routed":
            wanted = {x.sku: x.quantity for x in bodies[decision["order_id"]].lines}
            assert shipped == wanted
    assert min(left.values()) >= 0
    assert "units stranded" in (out / "report.html").read_text()
