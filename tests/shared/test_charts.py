"""Charts of the documents: deterministic SVG, ids of their own, labels as text."""

import re

from shared import charts


def _ids(svg):
    return set(re.findall(r'\bid="([^"]+)"', svg))


def test_same_numbers_same_svg_without_a_date():
    args = (["T01 甲镇", "T02"], [60.0, 55.0], [58.0, 50.0], [62.0, 57.0], [False, True], 56.0,
            "综合得分")
    first, second = charts.interval_plot(*args), charts.interval_plot(*args)
    assert first == second and first.startswith("<svg")
    assert "<dc:date>" not in first and "甲镇" in first  # text stays text


def test_charts_on_one_page_do_not_share_ids():
    one = charts.bar_intervals(["A", "B"], [70.0, 80.0], [65.0, 75.0], [75.0, 85.0], "%")
    two = charts.rank_trend(["Q1", "Q2"], {"A": [1, 2], "B": [2, 1]}, "rank")
    assert _ids(one) and _ids(two) and not _ids(one) & _ids(two)
    for svg in (one, two):  # every reference points at an id of the same chart
        refs = set(re.findall(r'(?:href="#|url\(#)([^")]+)', svg))
        assert refs <= _ids(svg)


def test_missing_values_are_left_out():
    svg = charts.bar_intervals(["A", "B"], [70.0, None], [65.0, None], [75.0, None], "%")
    assert svg.count("<svg") == 1
    trend = charts.rank_trend(["Q1", "Q2"], {"A": [None, None], "B": [1, 1]})
    assert ">B<" in trend or "B</text>" in trend


def test_an_estimate_outside_its_interval_is_drawn():
    """A weighted estimate may lie outside its Wilson interval (seen in the demo's web
    poll); the chart draws it rather than failing."""
    svg = charts.bar_intervals(["A"], [99.0], [80.0, ], [98.5], "%")
    assert svg.startswith("<svg")


def _drawn(svg):
    """(tag, geometry, effective presentation) of every drawing element, in order: the
    style declarations, matplotlib's one ``*`` rule, then attributes."""
    from xml.etree import ElementTree

    rule = dict(charts.STROKE_RULE)
    found = []
    for element in ElementTree.fromstring(svg).iter():
        tag = element.tag.split("}")[-1]
        if tag not in ("path", "use", "text", "rect"):
            continue
        attrs = {k: v for k, v in element.attrib.items() if k not in ("style", "id")}
        style = dict((part.split(":", 1)[0].strip(), part.split(":", 1)[1].strip())
                     for part in element.get("style", "").split(";") if ":" in part)
        effective = {**(rule if tag != "text" else {}), **attrs, **style}
        effective.pop("d", None)
        found.append((tag, " ".join(element.get("d", "").split()), element.text,
                      sorted(effective.items())))
    return found


def test_the_lean_svg_draws_what_matplotlib_drew():
    """Fewer elements for the printer, the same drawing: every path, mark and text with
    the same geometry and the same effective style."""
    import io

    import matplotlib
    from matplotlib.figure import Figure

    out = io.StringIO()
    with matplotlib.rc_context(charts.STYLE):
        fig = Figure(figsize=(3, 2))
        ax = fig.add_subplot()
        ax.bar([0, 1], [3, 4], color="#1d4e89")
        ax.errorbar([0], [3], yerr=[[1], [1]], capsize=2)
        ax.plot([0, 1], [1, 2], marker="o", linestyle="--")
        ax.set_xticks([0, 1], ["甲", "B"])
        ax.grid(axis="y")
        fig.savefig(out, format="svg", metadata={"Date": None})
    raw = out.getvalue()
    lean = charts._lean(raw)
    assert "style=" not in lean and "<metadata" not in lean and lean.startswith("<svg")
    assert lean.count("<g") < raw.count("<g") / 2
    assert _drawn(lean) == _drawn(raw)
