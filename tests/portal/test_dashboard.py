"""The dashboard: published rankings, a unit's page, poll satisfaction and inspection
findings, read through the real scoring, survey and inspection APIs with the person's
token; each chart's table, SVG marks and CSV hold the APIs' numbers."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import requests
from flask_babel import format_decimal, format_percent

from tests.portal.portal_support import home, person_token, tables
from tests.portal.test_dashboard_charts import marks


def api(county, path, who=("lead1", "leader", None), **params):
    response = requests.get(f"{path}", headers=person_token(*who), params=params, timeout=30)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()


def scoring(county, path, **params):
    return api(county, f"{county.scoring_url}/api/v1{path}", **params)


def two(value):
    return "–" if value is None else f"{value:,.2f}"


def attr(value):
    """A number as an SVG mark's data attribute holds it."""
    return "" if value is None else repr(value)


def csv_rows(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def publish_this_month(county):
    """A monthly run of this month, published, so that a unit has two months."""
    month = f"{county.today.year}-{county.today.month:02d}"
    filed = requests.post(f"{county.scoring_url}/api/v1/self-checks", timeout=10,
                          headers=person_token("unit2", "unit", "T02"), json={
                              "unit": "T02", "period": month, "items": [
                                  {"indicator": "sc_rate", "actual": 86.0},
                                  {"indicator": "sc_count", "actual": 9.0},
                                  {"indicator": "sc_delta", "actual": 0.5}]})
    assert filed.status_code == 201, filed.text  # T02 had not reported this month
    me = person_token("plan1", "planner")
    first = requests.get(f"{county.scoring_url}/api/v1/runs/{county.ids['run_published']}",
                         headers=me, timeout=10).json()
    created = requests.post(f"{county.scoring_url}/api/v1/runs", headers=me, timeout=120, json={
        "scheme_version_id": first["scheme_version_id"],
        "period": month, "kind": "monthly",
        "seed": 9, "polls": [], "draws": 200, "missing_source": "skip"})
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    requests.post(f"{county.scoring_url}/api/v1/runs/{run_id}/publish", headers=me,
                  timeout=10).raise_for_status()
    return run_id


def test_a_leader_reads_the_published_ranking_of_each_group(county_portal, county, make_person):
    client, _found, html = home(county_portal, make_person, "lead1", "leader")
    assert 'href="/dashboard/"' in html
    index = client.get("/dashboard/")
    assert index.status_code == 200
    run_id = county.ids["run_published"]
    assert f'href="/dashboard/runs/{run_id}"' in index.get_data(as_text=True)
    assert f'href="/dashboard/runs/{county.ids["run_computed"]}"' not in index.get_data(
        as_text=True)
    page = client.get(f"/dashboard/runs/{run_id}")
    assert page.status_code == 200
    ranking = scoring(county, f"/runs/{run_id}/ranking")
    shown = tables(page.get_data(as_text=True))
    for group in ("G1", "TS"):
        rows = sorted((r for r in ranking if r["peer_group"] == group),
                      key=lambda r: (r["rank"], r["unit"]))
        table = shown[f"run{run_id}-{group}"]
        assert [[c for c in row[:2]] for row in table[1:]] == [[str(r["rank"]), r["unit"]]
                                                               for r in rows]
        assert [row[3] for row in table[1:]] == [two(r["composite"]) for r in rows]
        svg = client.get(f"/dashboard/runs/{run_id}/groups/{group}.svg")
        assert svg.mimetype == "image/svg+xml"
        assert svg.headers["Content-Security-Policy"].startswith("default-src 'none'")
        found = marks(svg.get_data(as_text=True))
        for r in rows:
            assert found[f"rank-{r['unit']}"]["rank"] == str(r["rank"])
            assert found[f"rank-{r['unit']}"]["composite"] == (
                "" if r["composite"] is None else repr(r["composite"]))
        sheet = csv_rows(client.get(f"/dashboard/runs/{run_id}/groups/{group}.csv"))
        assert sheet[0][:2] == ["名次", "单位"]
        assert [row[1] for row in sheet[1:]] == [r["unit"] for r in rows]
        assert [row[3] for row in sheet[1:]] == ["" if r["composite"] is None
                                                 else repr(r["composite"]) for r in rows]
    # a computed run is not on the dashboard
    assert client.get(f"/dashboard/runs/{county.ids['run_computed']}").status_code == 404


def test_a_unit_page_has_its_breakdown_months_and_group(county_portal, county, make_person):
    newer = publish_this_month(county)
    client, _found, _html = home(county_portal, make_person, "lead1", "leader")
    page = client.get(f"/dashboard/runs/{newer}/units/T01")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = scoring(county, f"/runs/{newer}/units/T01")
    shown = tables(html)
    breakdown = shown[f"run{newer}-T01-breakdown"]
    assert [row[0] for row in breakdown[1:]] == [i["indicator"] for i in found["indicators"]]
    assert [row[2] for row in breakdown[1:]] == [two(i["contribution"])
                                                 for i in found["indicators"]]
    total = sum(i["contribution"] for i in found["indicators"] if i["contribution"] is not None)
    assert abs(total - found["composite"]) < 1e-9
    svg = marks(client.get(f"/dashboard/runs/{newer}/units/T01/breakdown.svg")
                .get_data(as_text=True))
    for i in found["indicators"]:
        assert svg[f"contribution-{i['indicator']}"]["contribution"] == repr(i["contribution"])
    assert svg["composite"]["composite"] == repr(found["composite"])
    # month by month: last month's published run and this month's
    months = shown[f"run{newer}-T01-months"]
    older = scoring(county, f"/runs/{county.ids['run_published']}/units/T01")
    assert [row[0] for row in months[1:]] == [older["period"], found["period"]]
    assert [row[2] for row in months[1:]] == [two(older["composite"]), two(found["composite"])]
    assert [row[3] for row in months[1:]] == [str(older["rank"]), str(found["rank"])]
    svg = marks(client.get(f"/dashboard/runs/{newer}/units/T01/months.svg")
                .get_data(as_text=True))
    assert svg[f"rank-{found['period']}"]["rank"] == str(found["rank"])
    assert svg[f"composite-{older['period']}"]["composite"] == repr(older["composite"])
    sheet = csv_rows(client.get(f"/dashboard/runs/{newer}/units/T01/months.csv"))
    assert [row[0] for row in sheet[1:]] == [older["period"], found["period"]]
    # in its group: the whole group, this unit highlighted
    assert f"/dashboard/runs/{newer}/groups/TS.svg?unit=T01" in html
    assert "#b54708" in client.get(f"/dashboard/runs/{newer}/groups/TS.svg?unit=T01") \
        .get_data(as_text=True)


def test_a_unit_reporter_sees_only_what_its_token_reads(county_portal, county, make_person):
    run_id = county.ids["run_published"]
    client, _found, html = home(county_portal, make_person, "unit1", "unit", "T01")
    assert 'href="/dashboard/"' not in html
    assert client.get("/dashboard/").status_code == 403
    page = client.get(f"/dashboard/runs/{run_id}")
    assert page.status_code == 200
    shown = tables(page.get_data(as_text=True))
    assert [row[1] for row in shown[f"run{run_id}-TS"][1:]] == ["T01"]  # its own row only
    assert f"run{run_id}-G1" not in shown
    assert client.get(f"/dashboard/runs/{run_id}/units/T01").status_code == 200
    assert client.get(f"/dashboard/runs/{run_id}/units/T02").status_code == 404
    assert client.get(f"/dashboard/runs/{run_id}/units/T02/breakdown.csv").status_code == 404
    assert marks(client.get(f"/dashboard/runs/{run_id}/groups/TS.svg").get_data(
        as_text=True)).keys() == {"composite-T01", "rank-T01"}
    assert client.get(f"/dashboard/polls/{county.ids['poll']}").status_code == 403
    assert client.get("/dashboard/inspections").status_code == 403


def test_poll_satisfaction_per_township_with_wilson_intervals(county_portal, county,
                                                              make_person):
    poll = county.ids["poll"]
    client, _found, _html = home(county_portal, make_person, "ana1", "analyst")
    page = client.get(f"/dashboard/polls/{poll}")
    assert page.status_code == 200
    estimates = api(county, f"{county.survey_url}/api/v1/polls/{poll}/estimates")
    rates = api(county, f"{county.survey_url}/api/v1/polls/{poll}/outcome-rates")
    rows = [r for r in estimates["rows"] if r["statistic"] == "satisfaction_rate"
            and r["category"] is None]
    question = "q_overall" if any(r["question"] == "q_overall" for r in rows) \
        else sorted(r["question"] for r in rows)[0]
    rows = sorted((r for r in rows if r["question"] == question), key=lambda r: r["township"])
    assert "Wilson" in estimates["method"]["interval"]
    rr = {t["township"]: t["rates"] for t in rates["townships"]}
    with county_portal.test_request_context(), _zh(county_portal):
        expected = [[r["township"], format_percent(r["estimate"], "#,##0.0%"),
                     format_percent(r["ci_low"], "#,##0.0%"),
                     format_percent(r["ci_high"], "#,##0.0%"), str(r["n"]),
                     _pct(rr[r["township"]]["RR1"]), _pct(rr[r["township"]]["RR3"])]
                    for r in rows]
    table = tables(page.get_data(as_text=True))[f"poll{poll}-satisfaction"]
    assert [[row[0], *row[2:]] for row in table[1:]] == expected
    svg = marks(client.get(f"/dashboard/polls/{poll}/satisfaction.svg").get_data(as_text=True))
    for r in rows:
        assert svg[f"township-{r['township']}"]["ci-low"] == repr(r["ci_low"])
        assert svg[f"township-{r['township']}"]["estimate"] == repr(r["estimate"])
    sheet = csv_rows(client.get(f"/dashboard/polls/{poll}/satisfaction.csv"))
    assert [row[0] for row in sheet[1:]] == [r["township"] for r in rows]


def _pct(value):
    return "–" if value is None else format_percent(value, "#,##0.0%")


def _zh(app):
    from flask_babel import force_locale

    return force_locale("zh_CN")


def test_inspection_findings_by_severity_and_on_time_orders(county_portal, county,
                                                            make_person):
    client, _found, _html = home(county_portal, make_person, "lead1", "leader")
    start, end = county.today.replace(day=1), county.today + timedelta(days=1)
    query = {"from": start.isoformat(), "to": end.isoformat()}
    page = client.get("/dashboard/inspections", query_string=query)
    assert page.status_code == 200
    counts = api(county, f"{county.inspection_url}/api/v1/finding-counts", **query)
    shown = tables(page.get_data(as_text=True))
    by_unit = {row[0]: row for row in shown["findings"][1:]}
    assert set(by_unit) == {r["unit"] for r in counts}
    for r in counts:
        assert by_unit[r["unit"]][2:] == [str(r[k]) for k in ("visits", "critical", "major",
                                                                "minor", "findings")]
    assert by_unit["T01"][4] == "1"  # the county's major finding
    svg = marks(client.get("/dashboard/inspections/findings.svg", query_string=query)
                .get_data(as_text=True))
    assert svg["findings-T02-major"]["count"] == "1"
    closure = api(county, f"{county.inspection_url}/api/v1/orders/closure-rates",
                  as_of=(end + timedelta(days=1)).isoformat())
    assert [row[0] for row in shown["closure"][1:]] == [r["unit"] for r in closure]
    assert [row[2] for row in shown["closure"][1:]] == [str(r["orders"]) for r in closure]
    sheet = csv_rows(client.get("/dashboard/inspections/closure.csv", query_string=query))
    assert [row[0] for row in sheet[1:]] == [r["unit"] for r in closure]
    # a bad window is a 4xx page, not a 500
    assert client.get("/dashboard/inspections?from=2026-13-01").status_code == 400
    assert client.get("/dashboard/inspections", query_string={
        "from": end.isoformat(), "to": start.isoformat()}).status_code == 400


def test_pages_in_english(county_portal, county, make_person):
    from tests.portal.portal_support import post_form

    client, _found, _html = home(county_portal, make_person, "lead1", "leader")
    post_form(client, "/dashboard/", {"lang": "en", "next": "/dashboard/"}, action="/language")
    run_id = county.ids["run_published"]
    html = client.get(f"/dashboard/runs/{run_id}/units/T01").get_data(as_text=True)
    assert "Breakdown" in html and "Month by month" in html and "Chengguan" in html
    sheet = csv_rows(client.get(f"/dashboard/runs/{run_id}/groups/TS.csv"))
    assert sheet[0][:4] == ["Rank", "Unit", "Unit name", "Composite"]


def test_numbers_format_like_the_table(county_portal):
    with county_portal.test_request_context(), _zh(county_portal):
        assert format_decimal(1234.5, "#,##0.00") == two(1234.5)
