"""``dom simulate``: replay an orders file against a network under routing rules, offline.

Registered in ``starter/cli/__init__.py`` as ``app.command("simulate")(simulate)``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from domain.network_file import NetworkFileError
from domain.routing.engine import POLICIES
from domain.routing.report import write_outputs
from domain.routing.rules import (
    LP_SOLVER_MISSING,
    Rules,
    RulesError,
    default_rules,
    load_rules,
    lp_solver_installed,
)
from domain.routing.simulate import (
    OrdersFileError,
    load_network_file,
    load_orders,
    replay,
    run_names,
)

_console = Console(stderr=True)


def simulate(
    network: Annotated[
        Path,
        typer.Option("--network", exists=True, dir_okay=False, help="Network file (YAML/JSON)."),
    ],
    orders: Annotated[
        Path,
        typer.Option(
            "--orders", exists=True, dir_okay=False, help="Orders, one checkout body per line."
        ),
    ],
    rules: Annotated[
        Path | None,
        typer.Option(
            "--rules", exists=True, dir_okay=False, help="Routing rules (default: built-in)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Directory for the results.")] = Path(
        "simulation"
    ),
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            help=f"Routing policy; repeat to compare ({', '.join(POLICIES)}). Default: optimal.",
        ),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            exists=True,
            dir_okay=False,
            help="Earlier orders (same format) that lookahead learns expected demand from.",
        ),
    ] = None,
    compare: Annotated[
        list[Path] | None,
        typer.Option(
            "--compare",
            exists=True,
            dir_okay=False,
            help="Another rules file to run side by side; may be repeated.",
        ),
    ] = None,
) -> None:
    """Replay ORDERS against NETWORK's stock and write decisions, a summary and a report."""
    policies = list(dict.fromkeys(policy or ["optimal"]))
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        _fail(f"--policy: unknown {', '.join(unknown)}; choose from {', '.join(POLICIES)}")
    if "lookahead" in policies and not lp_solver_installed():
        _fail(f"--policy: {LP_SOLVER_MISSING}")
    try:
        net = load_network_file(network)
        rule_sets: list[tuple[str, Rules]] = [
            (rules.stem, load_rules(rules)) if rules else ("built-in", default_rules())
        ]
        for path in compare or []:
            rule_sets.append((path.stem, load_rules(path)))
        replayed = load_orders(orders, net)
        earlier = load_orders(history, net) if history else []
    except (NetworkFileError, RulesError, OrdersFileError) as exc:
        _fail(str(exc))
    names = _unique([label for label, _ in rule_sets])
    plan = list(run_names(policies, names))
    runs = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_console,
    ) as progress:
        for name, run_policy, r in plan:
            task = progress.add_task(name, total=len(replayed))
            label, rule_set = rule_sets[r]
            runs.append(
                replay(
                    net,
                    replayed,
                    rule_set,
                    run_policy,  # type: ignore[arg-type]  # checked against POLICIES above
                    name=name,
                    rules_source=label,
                    progress=partial(progress.advance, task),
                    history=earlier,
                )
            )
    written = write_outputs(runs, out, net)
    for run in runs:
        s = run.summary
        _console.print(
            f"[bold]{run.name}[/]: {s['routed']:,}/{s['orders']:,} routed, "
            f"{s['split_orders']:,} split, total ${s['total_cost']}, "
            f"${s['mean_cost']} per order served, {s['stranded_units']:,} units stranded, "
            f"mean {s['mean_transit_days']} days, decision p50 {s['decision_ms']['p50']} ms, "
            f"p99 {s['decision_ms']['p99']} ms"
        )
    _console.print(f"wrote {', '.join(str(p) for p in written)}")


def _unique(labels: list[str]) -> list[str]:
    """Rules labels made distinct (two files may share a stem)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}-{seen[label]}")
    return out


def _fail(message: str) -> NoReturn:
    _console.print(f"[red]error:[/] {message}")
    raise typer.Exit(code=2)
