"""Charts drawn on the server with matplotlib to SVG: the scoring service's documents and
the portal's dashboard both draw with it (the portal from the numbers its APIs return).

Every chart sits beside a table of the same numbers in its page, so a reader (and
a screen reader, and ``pdftotext``) has the figures without the picture. The SVG is made
deterministic: no date in its metadata and a fixed hash salt for its element ids. Text
stays text (the PDF embeds the subset of the font it uses; Chinese labels use the
distribution's Noto Sans CJK). The SVG is then made lean for the printer (``_lean``):
the printer walks and styles every element of every chart, so the figure's empty and
id-only groups, its metadata and its one style rule go, and ``style`` declarations
become the equivalent presentation attributes.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("svg")

from matplotlib.figure import Figure  # noqa: E402

STYLE = {"svg.hashsalt": "kaoping-documents", "svg.fonttype": "none",
         "font.family": ["Noto Sans CJK SC", "DejaVu Sans"], "font.size": 8,
         "axes.spines.top": False, "axes.spines.right": False}
INK, ACCENT, MUTED, WARN = "#1f2933", "#1d4e89", "#7b8794", "#b54708"
QUOTE = {"\"": "&quot;"}


def _svg(fig: Figure, notes: Mapping[str, Note] | None = None) -> str:
    out = io.StringIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    # the notes first: a group that carries them is no longer one to unwrap
    return _scoped_ids(_lean(annotate(text, notes) if notes else text))


def svg(fig: Figure, notes: Mapping[str, Note] | None = None) -> str:
    """``fig`` as deterministic SVG text; see :func:`annotate` for ``notes``."""
    return _svg(fig, notes)


def figure(width_in: float, height_in: float) -> Figure:
    """A figure in the house style (draw inside ``matplotlib.rc_context(STYLE)``)."""
    return _figure(width_in, height_in)


@dataclass(frozen=True)
class Note:
    """What an SVG element drawn with ``gid`` says about itself: a ``<title>`` (a
    tooltip, and what a screen reader reads) and ``data-*`` attributes with its numbers,
    so that a test or a script reads the chart's figures from the chart itself."""

    title: str
    data: Mapping[str, object] = field(default_factory=dict)


def annotate(svg_text: str, notes: Mapping[str, Note]) -> str:
    """Give each group matplotlib wrote for an artist of ``gid`` its note's title and
    ``data-*`` attributes (a gid without a drawn element is left out)."""

    def note(match: re.Match) -> str:
        found = notes.get(match.group(1))
        if found is None:
            return match.group(0)
        attrs = "".join(f' data-{escape(str(k))}="{escape("" if v is None else str(v), QUOTE)}"'
                        for k, v in found.data.items())
        return f'<g id="{match.group(1)}"{attrs}>\n  <title>{escape(found.title)}</title>'

    return re.sub(r'<g id="([^"]+)">', note, svg_text)


SVG, XLINK = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
# matplotlib's one rule, ``*{stroke-linejoin: round; stroke-linecap: butt}``, set on
# each element that draws a stroke instead
DRAWN = {f"{{{SVG}}}{tag}" for tag in ("path", "use", "rect", "line", "polyline",
                                       "polygon", "circle", "ellipse")}
STROKE_RULE = (("stroke-linejoin", "round"), ("stroke-linecap", "butt"))


def _lean(svg: str) -> str:
    """The same picture in fewer, simpler elements (module doc); no XML prolog."""
    root = ElementTree.fromstring(svg)
    for parent in root.iter():
        for child in list(parent):
            if child.tag == f"{{{SVG}}}metadata" or child.tag == f"{{{SVG}}}style":
                parent.remove(child)
    _unwrap(root)
    for element in root.iter():
        style = element.attrib.pop("style", None)
        if style:
            for declaration in style.split(";"):
                name, _, value = declaration.partition(":")
                if name.strip():
                    element.set(name.strip(), value.strip())
        if element.tag in DRAWN:
            for name, value in STROKE_RULE:
                element.attrib.setdefault(name, value)
    for defs in root.iter(f"{{{SVG}}}defs"):
        if not len(defs):
            root.remove(defs)
    # (the prefix registry is global and other libraries register theirs, such as
    # ``svg:``: set ours on each call)
    ElementTree.register_namespace("", SVG)
    ElementTree.register_namespace("xlink", XLINK)
    return ElementTree.tostring(root, encoding="unicode")


def _unwrap(parent: ElementTree.Element) -> None:
    """Replace each group that carries nothing but an id by its children (no reference
    points at a group's id), and drop empty groups."""
    children: list[ElementTree.Element] = []
    for child in parent:
        _unwrap(child)
        if child.tag == f"{{{SVG}}}g" and set(child.attrib) <= {"id"}:
            children.extend(child)
        else:
            children.append(child)
    parent[:] = children


def _scoped_ids(svg: str) -> str:
    """Prefix the SVG's element ids (matplotlib numbers them per figure: ``line2d_1``)
    with a digest of the chart, so that several charts in one page keep their own
    references."""
    prefix = "c" + hashlib.sha1(svg.encode()).hexdigest()[:8] + "-"
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{prefix}{m.group(1)})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)


def _figure(width_in: float, height_in: float) -> Figure:
    with matplotlib.rc_context(STYLE):
        return Figure(figsize=(width_in, height_in), dpi=72)


def interval_plot(labels: Sequence[str], values: Sequence[float | None],
                  lows: Sequence[float | None], highs: Sequence[float | None],
                  marked: Sequence[bool], cutoff: float | None = None,
                  xlabel: str = "") -> str:
    """Composite and its interval per unit, best at the top; ``marked`` units (interval
    over the cut-off) in the warning colour; the cut-off as a dashed line."""
    with matplotlib.rc_context(STYLE):
        height = 0.7 + 0.19 * len(labels)
        fig = _figure(6.3, height)
        fig.subplots_adjust(left=0.3, right=0.97, top=1 - 0.15 / height, bottom=0.5 / height)
        ax = fig.add_subplot()
        ys = list(range(len(labels)))[::-1]
        # one collection for the intervals and one line per colour for the points: a few
        # SVG elements per chart instead of several per unit (the printer draws each)
        spans = [(y, lo, hi, WARN if warn else ACCENT)
                 for y, lo, hi, warn in zip(ys, lows, highs, marked, strict=True)
                 if lo is not None and hi is not None]
        if spans:
            ax.hlines([s[0] for s in spans], [s[1] for s in spans], [s[2] for s in spans],
                      colors=[s[3] for s in spans], linewidth=1.6)
        for colour, flag in ((ACCENT, False), (WARN, True)):
            points = [(v, y) for y, v, warn in zip(ys, values, marked, strict=True)
                      if v is not None and bool(warn) == flag]
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points], linestyle="none",
                        marker="o", color=colour, markersize=3.5)
        if cutoff is not None:
            ax.axvline(cutoff, color=MUTED, linestyle="--", linewidth=0.8)
        # the units' names as plain text beside the axis rather than as ticks (a tick is
        # a handful of objects to lay out and draw: the county's charts twice as fast)
        ax.set_yticks([])
        beside = ax.get_yaxis_transform()
        for y, label in zip(ys, labels, strict=True):
            ax.text(-0.01, y, label, transform=beside, ha="right", va="center")
        ax.set_ylim(-0.7, len(labels) - 0.3)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color="#e4e7eb", linewidth=0.6)
        ax.tick_params(length=0)
        return _svg(fig)


def rank_trend(periods: Sequence[str], series: dict[str, Sequence[int | None]],
               ylabel: str = "") -> str:
    """Rank of each unit across periods (1 at the top)."""
    with matplotlib.rc_context(STYLE):
        fig = _figure(6.3, 2.6)
        fig.subplots_adjust(left=0.1, right=0.9, top=0.95, bottom=0.12)
        ax = fig.add_subplot()
        xs = list(range(len(periods)))
        top = 1
        for label, ranks in series.items():
            points = [(x, r) for x, r in zip(xs, ranks, strict=True) if r is not None]
            if not points:
                continue
            top = max(top, *(r for _x, r in points))
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                    markersize=3, linewidth=1, color=ACCENT, alpha=0.55)
            ax.annotate(label, points[-1], xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=6.5, color=INK)
        ax.set_xticks(xs, periods)
        ax.set_ylim(top + 0.5, 0.5)
        ax.set_xlim(-0.2, len(periods) - 0.4)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#e4e7eb", linewidth=0.6)
        return _svg(fig)


def bar_intervals(labels: Sequence[str], values: Sequence[float | None],
                  lows: Sequence[float | None], highs: Sequence[float | None],
                  ylabel: str = "") -> str:
    """Bars (e.g. satisfaction per township, in %) with their interval as error bars."""
    with matplotlib.rc_context(STYLE):
        fig = _figure(6.3, 2.6)
        fig.subplots_adjust(left=0.1, right=0.98, top=0.95, bottom=0.3)
        ax = fig.add_subplot()
        xs = list(range(len(labels)))
        heights = [v if v is not None else 0.0 for v in values]
        ax.bar(xs, heights, color=ACCENT, width=0.6)
        for x, v, lo, hi in zip(xs, values, lows, highs, strict=True):
            if v is not None and lo is not None and hi is not None:
                # a Wilson interval is not centred on the (weighted) estimate and may even
                # leave it outside: draw the bounds as they are, never a negative arm
                ax.errorbar([x], [v], yerr=[[max(0.0, v - lo)], [max(0.0, hi - v)]],
                            color=INK, capsize=2,
                            linewidth=0.8)
        ax.set_xticks(xs, labels, rotation=45 if len(labels) > 8 else 0, ha="right"
                      if len(labels) > 8 else "center")
        ax.set_ylim(0, 100)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#e4e7eb", linewidth=0.6)
        return _svg(fig)
