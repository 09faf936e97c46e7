"""The dashboard's charts: matplotlib to SVG on the server (``shared.charts``, the house
style the scoring service's documents use too), drawn from a ``dashboard.Table``'s rows.

Every mark of a unit, month or township is an element of its own (``gid``) that carries
the numbers it draws as ``data-*`` attributes and a ``<title>`` (the browser's tooltip),
so that what the chart draws can be read back from the chart: the page's tests compare
them with the APIs' answers. The SVG is served as a file of its own (``<img src>``):
matplotlib's SVG styles its elements inline, which the pages' CSP does not allow in HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
from matplotlib.patches import Patch

from shared.charts import ACCENT, INK, MUTED, STYLE, WARN, Note, figure, svg

GRID = "#e4e7eb"
# Larger type and a narrower figure than the documents': the image is scaled to the
# screen's width, about 360 px on a phone.
LOOK = {**STYLE, "font.size": 10}
WIDTH_IN = 5.6
SEVERITY_COLOURS = {"critical": "#9b1c1c", "major": WARN, "minor": "#f0b429"}


def _num(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def _figure(height_in: float):
    """A figure of the dashboard's width whose margins fit its labels (constrained
    layout: long Chinese unit names push the plot right, not off the image)."""
    fig = figure(WIDTH_IN, height_in)
    fig.set_layout_engine("constrained")
    return fig


def _rank_ticks(size: int) -> list[int]:
    """Ranks to mark on a rank axis: the first, the last and every fifth between."""
    step = 1 if size <= 6 else 5
    return sorted({1, size, *range(step, size, step)})


def _height(n: int) -> float:
    return 0.9 + 0.3 * max(n, 1)


def ranking(rows: Sequence[dict[str, Any]], labels: Sequence[str], composite_label: str,
            rank_label: str, highlight: str | None = None) -> str:
    """A peer group's ranking as an interval plot: composite with its interval (left) and
    rank with its rank interval (right), best at the top; ``highlight`` (a unit code) in
    the warning colour."""
    notes: dict[str, Note] = {}
    with matplotlib.rc_context(LOOK):
        height = _height(len(rows))
        fig = _figure(height)
        left, right = fig.subplots(1, 2, sharey=True, width_ratios=[3, 1.4])
        ys = list(range(len(rows)))[::-1]
        for y, row in zip(ys, rows, strict=True):
            colour = WARN if row["unit"] == highlight else ACCENT
            code = row["unit"]
            if row.get("composite_lo") is not None and row.get("composite_hi") is not None:
                left.plot([row["composite_lo"], row["composite_hi"]], [y, y], color=colour,
                          linewidth=1.6, solid_capstyle="butt")
            if row.get("composite") is not None:
                left.plot([row["composite"]], [y], "o", color=colour, markersize=4,
                          gid=f"composite-{code}")
            if row.get("rank_lo") is not None and row.get("rank_hi") is not None:
                right.plot([row["rank_lo"], row["rank_hi"]], [y, y], color=colour,
                           linewidth=1.6, solid_capstyle="butt")
            right.plot([row["rank"]], [y], "o", color=colour, markersize=4,
                       gid=f"rank-{code}")
            data = {"unit": code, "composite": row.get("composite"),
                    "composite-lo": row.get("composite_lo"),
                    "composite-hi": row.get("composite_hi"), "rank": row.get("rank"),
                    "rank-lo": row.get("rank_lo"), "rank-hi": row.get("rank_hi")}
            notes[f"composite-{code}"] = Note(
                f"{code}: {_num(row.get('composite'))} [{_num(row.get('composite_lo'))}, "
                f"{_num(row.get('composite_hi'))}]", data)
            notes[f"rank-{code}"] = Note(
                f"{code}: {row.get('rank')} ({row.get('rank_lo')}–{row.get('rank_hi')})", data)
        left.set_yticks(ys, labels)
        left.set_ylim(-0.7, len(rows) - 0.3)
        left.set_xlabel(composite_label)
        size = max([r.get("group_size") or 0 for r in rows] + [r.get("rank_hi") or 0
                                                               for r in rows] + [1])
        right.set_xlim(size + 0.5, 0.5)  # rank 1 on the right, next to the best composite
        right.set_xticks(_rank_ticks(size))
        right.set_xlabel(rank_label)
        for ax in (left, right):
            ax.grid(axis="x", color=GRID, linewidth=0.6)
            ax.tick_params(length=0)
        return svg(fig, notes)


def contributions(rows: Sequence[dict[str, Any]], labels: Sequence[str],
                  composite: float | None, xlabel: str) -> str:
    """A unit's contribution of each indicator (they add up to its composite) as bars,
    with the group's mean contribution as a tick."""
    notes: dict[str, Note] = {}
    with matplotlib.rc_context(LOOK):
        height = _height(len(rows))
        fig = _figure(height)
        ax = fig.add_subplot()
        ys = list(range(len(rows)))[::-1]
        for y, row in zip(ys, rows, strict=True):
            value = row.get("contribution") or 0.0
            bar = ax.barh([y], [value], color=ACCENT, height=0.6)[0]
            bar.set_gid(f"contribution-{row['indicator']}")
            notes[bar.get_gid()] = Note(
                f"{row['indicator']}: {_num(row.get('contribution'), 3)}",
                {"indicator": row["indicator"], "contribution": row.get("contribution"),
                 "group-mean": row.get("group_mean_contribution")})
            if row.get("group_mean_contribution") is not None:
                ax.plot([row["group_mean_contribution"]] * 2, [y - 0.35, y + 0.35],
                        color=INK, linewidth=1)
        ax.set_yticks(ys, labels)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlabel(xlabel)
        ax.axvline(0, color=MUTED, linewidth=0.6)
        ax.grid(axis="x", color=GRID, linewidth=0.6)
        ax.tick_params(length=0)
        ax.set_title(f"Σ = {_num(composite, 3)}", loc="right", color=INK).set_gid("composite")
        notes["composite"] = Note(f"Σ = {_num(composite, 3)}", {"composite": composite})
        return svg(fig, notes)


def months(rows: Sequence[dict[str, Any]], composite_label: str, rank_label: str) -> str:
    """A unit's composite (left) and rank in its group (right, 1 at the top) by month."""
    notes: dict[str, Note] = {}
    with matplotlib.rc_context(LOOK):
        fig = _figure(2.8)
        left, right = fig.subplots(1, 2)
        xs = list(range(len(rows)))
        periods = [r["period"] for r in rows]
        for ax, key, label in ((left, "composite", composite_label), (right, "rank", rank_label)):
            points = [(x, r[key]) for x, r in zip(xs, rows, strict=True) if r[key] is not None]
            ax.plot([p[0] for p in points], [p[1] for p in points], color=ACCENT, linewidth=1)
            for x, row in zip(xs, rows, strict=True):
                if row[key] is None:
                    continue
                gid = f"{key}-{row['period']}"
                ax.plot([x], [row[key]], "o", color=ACCENT, markersize=4, gid=gid)
                shown = _num(row[key]) if key == "composite" else str(row[key])
                notes[gid] = Note(f"{row['period']}: {shown}",
                                  {"period": row["period"], key: row[key]})
            ax.set_xticks(xs, periods, rotation=45 if len(rows) > 4 else 0,
                          ha="right" if len(rows) > 4 else "center")
            ax.set_xlim(-0.5, max(len(rows), 1) - 0.5)
            ax.set_title(label, fontsize=10, color=INK)
            ax.grid(axis="y", color=GRID, linewidth=0.6)
        size = max([r.get("group_size") or 0 for r in rows] + [1])
        right.set_ylim(size + 0.5, 0.5)
        right.set_yticks(_rank_ticks(size))
        return svg(fig, notes)


def satisfaction(rows: Sequence[dict[str, Any]], labels: Sequence[str], ylabel: str) -> str:
    """Satisfaction per township (%) as bars with the Wilson interval as it is (it need not
    be centred on the weighted estimate)."""
    notes: dict[str, Note] = {}
    with matplotlib.rc_context(LOOK):
        fig = _figure(3.0)
        ax = fig.add_subplot()
        for x, row in enumerate(rows):
            estimate = row.get("estimate")
            bar = ax.bar([x], [100 * (estimate or 0.0)], color=ACCENT, width=0.6)[0]
            bar.set_gid(f"township-{row['township']}")
            notes[bar.get_gid()] = Note(
                f"{row['township']}: {_num(None if estimate is None else 100 * estimate, 1)}% "
                f"[{_num(None if row.get('ci_low') is None else 100 * row['ci_low'], 1)}, "
                f"{_num(None if row.get('ci_high') is None else 100 * row['ci_high'], 1)}]",
                {"township": row["township"], "estimate": estimate,
                 "ci-low": row.get("ci_low"), "ci-high": row.get("ci_high"), "n": row.get("n")})
            if row.get("ci_low") is not None and row.get("ci_high") is not None:
                ax.plot([x, x], [100 * row["ci_low"], 100 * row["ci_high"]], color=INK,
                        linewidth=1)
                for end in (row["ci_low"], row["ci_high"]):
                    ax.plot([x - 0.08, x + 0.08], [100 * end] * 2, color=INK, linewidth=1)
        ax.set_xticks(list(range(len(rows))), labels, rotation=45 if len(rows) > 6 else 0,
                      ha="right" if len(rows) > 6 else "center")
        ax.set_ylim(0, 100)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        return svg(fig, notes)


def findings(rows: Sequence[dict[str, Any]], labels: Sequence[str],
             severity_labels: dict[str, str], xlabel: str) -> str:
    """Findings per unit stacked by severity (critical first)."""
    notes: dict[str, Note] = {}
    with matplotlib.rc_context(LOOK):
        height = _height(len(rows)) + 0.3
        fig = _figure(height)
        ax = fig.add_subplot()
        ys = list(range(len(rows)))[::-1]
        for y, row in zip(ys, rows, strict=True):
            start = 0
            for severity, colour in SEVERITY_COLOURS.items():
                count = row.get(severity) or 0
                bar = ax.barh([y], [count], left=start, color=colour, height=0.6)[0]
                bar.set_gid(f"findings-{row['unit']}-{severity}")
                notes[bar.get_gid()] = Note(f"{row['unit']}: {count} {severity_labels[severity]}",
                                            {"unit": row["unit"], "severity": severity,
                                             "count": count})
                start += count
        ax.set_yticks(ys, labels)
        ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
        ax.set_xlabel(xlabel)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(axis="x", color=GRID, linewidth=0.6)
        ax.tick_params(length=0)
        fig.legend(handles=[Patch(color=colour, label=severity_labels[severity])
                            for severity, colour in SEVERITY_COLOURS.items()],
                   loc="outside upper center", ncols=3, frameon=False)
        return svg(fig, notes)


def on_time(rows: Sequence[dict[str, Any]], labels: Sequence[str], xlabel: str) -> str:
    """Per unit: the share of rectification orders due that were closed on time (%)."""
    notes: dict[str, Note] = {}
    with matplotlib.rc_context(LOOK):
        height = _height(len(rows))
        fig = _figure(height)
        ax = fig.add_subplot()
        ys = list(range(len(rows)))[::-1]
        for y, row in zip(ys, rows, strict=True):
            rate = row.get("rate")
            bar = ax.barh([y], [100 * (rate or 0.0)], color=ACCENT if rate is not None
                          else MUTED, height=0.6)[0]
            bar.set_gid(f"on-time-{row['unit']}")
            notes[bar.get_gid()] = Note(
                f"{row['unit']}: {row['closed_on_time']}/{row['due']}",
                {"unit": row["unit"], "rate": rate, "due": row["due"],
                 "closed-on-time": row["closed_on_time"]})
        ax.set_yticks(ys, labels)
        ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
        ax.set_xlim(0, 100)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color=GRID, linewidth=0.6)
        ax.tick_params(length=0)
        return svg(fig, notes)
