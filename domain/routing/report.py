"""What ``dom simulate`` leaves behind: each run's ``decisions.jsonl`` and ``summary.json``,
and ``report.html``, one self-contained page, charts drawn as inline SVG.

No scripts, fonts or styles are fetched from anywhere, so the page opens offline and can
be mailed around. Several runs (policies, or rules files) are drawn side by side.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from decimal import Decimal
from html import escape
from pathlib import Path

from domain.models import Network
from domain.routing.simulate import Run

PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#0891b2", "#84cc16"]
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _nice(peak: float) -> float:
    """The axis top: ``peak`` rounded up to a round multiple of a power of ten."""
    if peak <= 0:
        return 1.0
    power: float = 10 ** math.floor(math.log10(peak))
    return next(m * power for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * power >= peak)


def grouped_bars(
    title: str, categories: Sequence[str], series: dict[str, list[float]], unit: str = ""
) -> str:
    """Vertical bars, one group per category and one colour per series."""
    width, height, left, bottom, top = 760, 260, 56, 40, 28
    plot_w, plot_h = width - left - 12, height - bottom - top
    peak = _nice(max((v for values in series.values() for v in values), default=0))
    group_w = plot_w / max(len(categories), 1)
    bar_w = max(1.0, (group_w * 0.8) / max(len(series), 1))
    parts = [f'<text x="{left}" y="16" font-weight="600" {_FONT}>{escape(title)}</text>']
    for tick in range(5):
        value = peak * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 12}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>'
            f"{escape(_fmt(value))}{escape(unit)}</text>"
        )
    step = max(1, -(-len(categories) // 14))  # keep labels legible on long axes
    for i, category in enumerate(categories):
        x0 = left + i * group_w + group_w * 0.1
        for s, (name, values) in enumerate(series.items()):
            value = values[i]
            h = plot_h * value / peak
            parts.append(
                f'<rect x="{x0 + s * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(name)} · {escape(category)}: {escape(_fmt(value))}</title></rect>"
            )
        if i % step == 0:
            parts.append(
                f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{height - bottom + 14}" '
                f'text-anchor="middle" {_FONT}>{escape(category)}</text>'
            )
    parts.append(_legend(list(series), left, height - 10))
    return f'<svg viewBox="0 0 {width} {height}" width="{width}" role="img">{"".join(parts)}</svg>'


def ranked_bars(title: str, rows: list[tuple[str, list[float]]], names: list[str]) -> str:
    """Horizontal bars, one row per item (largest first), one colour per series."""
    row_h, left, width = 16, 170, 760
    height = 40 + row_h * len(rows) + 24
    peak = max((v for _, values in rows for v in values), default=0) or 1
    plot_w = width - left - 60
    parts = [f'<text x="0" y="16" font-weight="600" {_FONT}>{escape(title)}</text>']
    for r, (label, values) in enumerate(rows):
        y = 30 + r * row_h
        parts.append(
            f'<text x="{left - 6}" y="{y + 11}" text-anchor="end" {_FONT}>{escape(label)}</text>'
        )
        bar_h = (row_h - 3) / max(len(values), 1)
        for s, value in enumerate(values):
            w = plot_w * value / peak
            parts.append(
                f'<rect x="{left}" y="{y + s * bar_h:.1f}" width="{w:.1f}" height="{bar_h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(names[s])} · '
                f"{escape(label)}: {escape(_fmt(value))}</title></rect>"
            )
        parts.append(
            f'<text x="{left + plot_w * max(values) / peak + 4:.1f}" y="{y + 11}" {_FONT}>'
            f"{escape(' / '.join(_fmt(v) for v in values))}</text>"
        )
    parts.append(_legend(names, left, height - 6))
    return f'<svg viewBox="0 0 {width} {height}" width="{width}" role="img">{"".join(parts)}</svg>'


def location_map(title: str, network: Network, units: dict[str, int], colour: str) -> str:
    """Locations on a plain lat/lon plot of the lower 48, circle area by units shipped."""
    width, height = 370, 230
    west, east, south, north = -125.0, -66.0, 24.0, 50.0

    def project(lat: float, lon: float) -> tuple[float, float]:
        x = (lon - west) / (east - west) * (width - 20) + 10
        y = (north - lat) / (north - south) * (height - 40) + 28
        return x, y

    peak = max(units.values(), default=0) or 1
    parts = [
        f'<text x="4" y="16" font-weight="600" {_FONT}>{escape(title)}</text>',
        f'<rect x="10" y="28" width="{width - 20}" height="{height - 40}" fill="#f8fafc" '
        'stroke="#e5e7eb"/>',
    ]
    for lon in range(-120, -65, 10):  # meridians and parallels for orientation
        x, _ = project(south, lon)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="28" y2="{height - 12}" stroke="#eef2f7"/>'
        )
    for lat in range(30, 50, 5):
        _, y = project(lat, west)
        parts.append(
            f'<line x1="10" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eef2f7"/>'
        )
    for loc in network.locations:
        point = loc.point
        x, y = project(point.lat, point.lon)
        shipped = units.get(loc.id, 0)
        radius = 1.5 + 11 * (shipped / peak) ** 0.5
        fill = colour if shipped else "#cbd5e1"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{fill}" fill-opacity="0.6">'
            f"<title>{escape(loc.name)} ({escape(loc.id)}): {shipped} units</title></circle>"
        )
    return f'<svg viewBox="0 0 {width} {height}" width="{width}" role="img">{"".join(parts)}</svg>'


def _legend(names: Sequence[str], x: float, y: float) -> str:
    parts = []
    for s, name in enumerate(names):
        dx = x + s * 150
        colour = PALETTE[s % len(PALETTE)]
        parts.append(
            f'<rect x="{dx}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{dx + 14}" y="{y}" {_FONT}>{escape(name)}</text>'
        )
    return "".join(parts)


def _cost_bins(runs: Sequence[Run]) -> tuple[list[str], dict[str, list[float]]]:
    costs = {
        run.name: [float(d["cost"]) for d in run.decisions if d["status"] == "routed"]
        for run in runs
    }
    top = max((c for values in costs.values() for c in values), default=0.0)
    width = 2.0 if top <= 60 else 5.0
    bins = int(top // width) + 1
    labels = [f"${int(i * width)}" for i in range(bins)]
    series = {}
    for name, values in costs.items():
        counts = [0.0] * bins
        for c in values:
            counts[int(c // width)] += 1
        series[name] = counts
    return labels, series


def _orders_taking(run: Run, days: int) -> int:
    return sum(1 for d in run.decisions if d["status"] == "routed" and d["transit_days"] == days)


def _spared(runs: Sequence[Run], limit: int = 8) -> str:
    """A few lookahead decisions that moved an order to spare scarce stock, in its words."""
    blocks = []
    for run in runs:
        if run.policy != "lookahead":
            continue
        moved = [d for d in run.decisions if "worth" in (d.get("explanation") or "")]
        if not moved:
            continue
        items = "".join(
            f"<li><b>{escape(d['order_id'])}</b>: {escape(d['explanation'])}</li>"
            for d in moved[:limit]
        )
        blocks.append(
            f"<p>{escape(run.name)}: {len(moved):,} orders shipped from elsewhere to spare "
            f"stock worth more to later customers; the first few:</p><ul>{items}</ul>"
        )
    return f"<section><h2>Stock spared</h2>{''.join(blocks)}</section>" if blocks else ""


def _table(runs: Sequence[Run]) -> str:
    base = Decimal(runs[0].summary["total_cost"])
    base_mean = Decimal(runs[0].summary["mean_cost"])
    first = escape(runs[0].name)
    head = (
        "<tr><th>run</th><th>policy</th><th>rules</th><th>orders</th><th>routed</th>"
        "<th>unfulfillable</th><th>packages</th><th>split orders</th><th>split rate</th>"
        f"<th>total cost</th><th>vs {first}</th><th>cost per order served</th>"
        f"<th>vs {first}</th><th>units stranded</th><th>mean days</th>"
        "<th>max days</th><th>decision p50 ms</th><th>p99 ms</th></tr>"
    )
    rows = []
    for run in runs:
        s = run.summary
        total = Decimal(s["total_cost"])
        mean = Decimal(s["mean_cost"])
        delta = f"{(total - base) / base * 100:+.2f}%" if base else "n/a"
        delta_mean = f"{(mean - base_mean) / base_mean * 100:+.2f}%" if base_mean else "n/a"
        cells = [
            run.name, s["policy"], f"{s['rules']} (v{s['rules_version']})", s["orders"],
            s["routed"], s["unfulfillable"], s["packages"], s["split_orders"],
            f"{100 * s['split_rate']:.2f}%", f"${total:,}", delta, f"${s['mean_cost']}",
            delta_mean, s["stranded_units"], s["mean_transit_days"], s["max_transit_days"],
            s["decision_ms"]["p50"], s["decision_ms"]["p99"],
        ]  # fmt: skip
        rows.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def render_report(runs: Sequence[Run], network: Network) -> str:
    """The whole report page for ``runs`` (the first is the reference for differences)."""
    names = [run.name for run in runs]
    labels, series = _cost_bins(runs)
    cost_chart = grouped_bars("Cost per order (orders per price band)", labels, series)
    counts = sorted({int(k) for run in runs for k in run.summary["packages_per_order"]} or {1})
    packages_chart = grouped_bars(
        "Packages per order",
        [str(c) for c in counts],
        {
            run.name: [float(run.summary["packages_per_order"].get(str(c), 0)) for c in counts]
            for run in runs
        },
    )
    days = sorted({d["transit_days"] for run in runs for d in run.decisions
                   if d["status"] == "routed"} or {0})  # fmt: skip
    days_chart = grouped_bars(
        "Transit days (orders)",
        [str(d) for d in days],
        {run.name: [float(_orders_taking(run, d)) for d in days] for run in runs},
    )
    zones = sorted(
        {z for run in runs for z in run.summary["zone_mix"]},
        key=lambda z: (z == "pickup", int(z) if z.isdigit() else 0),
    )
    zone_chart = grouped_bars(
        "Zone mix (share of packages)",
        [z if z == "pickup" else f"zone {z}" for z in zones],
        {
            run.name: [
                100 * run.summary["zone_mix"].get(z, 0) / max(run.summary["packages"], 1)
                for z in zones
            ]
            for run in runs
        },
        unit="%",
    )
    everyone = sorted(
        {loc for run in runs for loc in run.summary["units_by_location"]},
        key=lambda loc: -max(run.summary["units_by_location"].get(loc, 0) for run in runs),
    )
    top = everyone[:30]
    units_chart = ranked_bars(
        f"Units shipped per location (top {len(top)} of {len(everyone)} that shipped)",
        [(loc, [float(r.summary["units_by_location"].get(loc, 0)) for r in runs]) for loc in top],
        names,
    )
    maps = "".join(
        location_map(
            f"{run.name}: units shipped by location",
            network,
            run.summary["units_by_location"],
            PALETTE[i % len(PALETTE)],
        )
        for i, run in enumerate(runs)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Switchyard routing simulation</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #111827; max-width: 1100px; }}
table {{ border-collapse: collapse; font-size: 13px; margin: 12px 0 24px; }}
th, td {{ border: 1px solid #e5e7eb; padding: 4px 8px; text-align: right; }}
th {{ background: #f3f4f6; }} td:first-child, th:first-child {{ text-align: left; }}
section {{ margin: 18px 0; }} .maps svg {{ margin-right: 12px; }}
</style></head><body>
<h1>Routing simulation</h1>
<p>{len(runs[0].decisions):,} orders replayed in file order against the network's stock
({len(network.locations)} locations, {len(network.skus)} SKUs), each run depleting its own
copy. Decision times are the routing call alone.</p>
{_table(runs)}
<section>{cost_chart}</section>
<section>{packages_chart}</section>
<section>{days_chart}</section>
<section>{zone_chart}</section>
<section>{units_chart}</section>
<section class="maps">{maps}</section>
{_spared(runs)}
</body></html>
"""


def write_run(run: Run, directory: Path) -> None:
    """``decisions.jsonl`` and ``summary.json`` for one run, in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "decisions.jsonl").open("w") as out:
        for record in run.decisions:
            out.write(json.dumps(record) + "\n")
    (directory / "summary.json").write_text(json.dumps(run.summary, indent=2) + "\n")


def write_outputs(runs: Sequence[Run], out: Path, network: Network) -> list[Path]:
    """The first run's files in ``out``; with several runs, each under ``out/runs/NAME``;
    and ``out/report.html`` comparing them. Returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    write_run(runs[0], out)
    written = [out / "decisions.jsonl", out / "summary.json"]
    if len(runs) > 1:
        for run in runs:
            write_run(run, out / "runs" / run.name)
            written.append(out / "runs" / run.name)
    report = out / "report.html"
    report.write_text(render_report(runs, network))
    written.append(report)
    return written
