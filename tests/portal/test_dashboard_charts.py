"""The dashboard's charts: every mark carries the numbers it draws, the SVG is the same
for the same numbers, and labels stay text."""

import re
import xml.etree.ElementTree as ET

from services.portal import dashboard_charts as charts

SVG_NS = "{http://www.w3.org/2000/svg}"


def marks(svg: str) -> dict[str, dict[str, str]]:
    """``{gid: {data attribute: value, "title": text}}`` of the SVG's annotated groups (the
    ids' per-chart prefix removed)."""
    found = {}
    for element in ET.fromstring(svg).iter(f"{SVG_NS}g"):
        data = {k[5:]: v for k, v in element.attrib.items() if k.startswith("data-")}
        if data:
            title = element.find(f"{SVG_NS}title")
            gid = re.sub(r"^c[0-9a-f]{8}-", "", element.attrib["id"])
            found[gid] = {**data, "title": title.text if title is not None else None}
    return found


ROWS = [{"unit": "T01", "name": "城关镇", "rank": 1, "rank_lo": 1, "rank_hi": 2,
         "composite": 71.25, "composite_lo": 68.5, "composite_hi": 74.0, "group_size": 3},
        {"unit": "T02", "name": "河西乡", "rank": 2, "rank_lo": 1, "rank_hi": 3,
         "composite": 65.125, "composite_lo": None, "composite_hi": None, "group_size": 3}]


def test_ranking_marks_carry_composite_interval_and_rank_interval():
    svg = charts.ranking(ROWS, ["T01 城关镇", "T02 河西乡"], "综合得分", "名次",
                         highlight="T02")
    found = marks(svg)
    assert found["composite-T01"]["composite"] == "71.25"
    assert found["composite-T01"]["composite-lo"] == "68.5"
    assert found["composite-T01"]["composite-hi"] == "74.0"
    assert found["rank-T02"]["rank"] == "2" and found["rank-T02"]["rank-hi"] == "3"
    assert found["composite-T02"]["composite-lo"] == ""  # no interval: empty, not "None"
    assert found["composite-T01"]["title"] == "T01: 71.25 [68.50, 74.00]"
    assert "城关镇" in svg and svg == charts.ranking(ROWS, ["T01 城关镇", "T02 河西乡"],
                                                   "综合得分", "名次", highlight="T02")
    assert "#b54708" in svg  # the highlighted unit in the warning colour


def test_contributions_add_up_to_the_composite_shown():
    rows = [{"indicator": "a", "contribution": 30.5, "group_mean_contribution": 28.0},
            {"indicator": "b", "contribution": -2.25, "group_mean_contribution": None}]
    found = marks(charts.contributions(rows, ["a", "b"], 28.25, "贡献"))
    assert found["contribution-a"]["contribution"] == "30.5"
    assert found["contribution-b"]["group-mean"] == ""
    assert found["composite"]["composite"] == "28.25"


def test_months_mark_each_month_in_both_panels():
    rows = [{"period": "2026-05", "composite": 60.0, "rank": 3, "group_size": 4},
            {"period": "2026-06", "composite": 62.5, "rank": 2, "group_size": 4}]
    found = marks(charts.months(rows, "综合得分", "名次"))
    assert found["composite-2026-06"]["composite"] == "62.5"
    assert found["rank-2026-05"]["rank"] == "3"


def test_satisfaction_findings_and_on_time_marks():
    found = marks(charts.satisfaction(
        [{"township": "T01", "estimate": 0.8, "ci_low": 0.7, "ci_high": 0.88, "n": 40}],
        ["T01"], "满意率"))
    assert found["township-T01"] == {"township": "T01", "estimate": "0.8", "ci-low": "0.7",
                                     "ci-high": "0.88", "n": "40",
                                     "title": "T01: 80.0% [70.0, 88.0]"}
    found = marks(charts.findings([{"unit": "T01", "critical": 0, "major": 2, "minor": 1}],
                                  ["T01"], {"critical": "严重", "major": "较重", "minor": "一般"},
                                  "问题数"))
    assert found["findings-T01-major"]["count"] == "2"
    found = marks(charts.on_time([{"unit": "T02", "rate": None, "due": 0, "closed_on_time": 0}],
                                 ["T02"], "%"))
    assert found["on-time-T02"]["rate"] == "" and found["on-time-T02"]["due"] == "0"


def test_rank_axes_mark_the_first_and_the_last_rank():
    assert charts._rank_ticks(3) == [1, 2, 3]
    assert charts._rank_ticks(12) == [1, 5, 10, 12]
