"""Reading a run's results: rankings with intervals and awards, comparisons with the
previous run, exports, unit visibility; and the engine's sensitivity mode on stored runs
(asked for at start, stored with the run, served at ``GET /runs/{id}/sensitivity``,
reproduced by recompute)."""

from __future__ import annotations

import copy
import csv
import io
import math

import openpyxl
import pytest
from sqlalchemy.orm import Session

from services.scoring.assessment import compute_snapshot
from services.scoring.engine import Table, compute, from_document
from services.scoring.models.runs import ScoreRun
from services.scoring.scheme_document import scheme_tree
from tests.scoring.run_support import start_run

SENSITIVITY_DRAWS = 50


def _started(client, auth, county, **extra) -> dict:
    response = start_run(client, auth, county, **{"draws": SENSITIVITY_DRAWS, **extra})
    assert response.status_code == 201, response.json
    return response.json


def _leaves(node: dict):
    if "children" not in node:
        yield node
        return
    for child in node["children"]:
        yield from _leaves(child)


def _without(node: dict, drop: set[str]) -> dict | None:
    """The tree without the leaves in ``drop`` (and nodes left empty; AHP matrices cut)."""
    if "children" not in node:
        return None if node["id"] in drop else node
    kept = [(i, c) for i, c in enumerate(node["children"]) if _without(c, drop) is not None]
    if not kept:
        return None
    out = {**node, "children": [_without(c, drop) for _i, c in kept]}
    weighting = node.get("weighting")
    if isinstance(weighting, dict) and weighting.get("method") == "ahp":
        index = [i for i, _c in kept]
        out["weighting"] = {**weighting,
                            "matrix": [[weighting["matrix"][i][j] for j in index] for i in index]}
    return out


def _engine_report(inputs: dict, run: dict) -> dict:
    """The engine's own sensitivity report on a monthly run's snapshot, built here from the
    snapshot rows under the scheme document cut as the run's method record says: without
    the leaves that have no value in the month, and with the leaves excluded for peer
    groups that have no unit of the leaf's kinds."""
    document = inputs["scheme_version"]["document"]
    if "nodes" in document:
        document = {**{k: v for k, v in document.items() if k != "nodes"},
                    "root": scheme_tree(document)}
    segment = inputs["segments"][0]
    assert [s["role"] for s in inputs["segments"]] == ["snapshot"]
    present = {row[1] for row in segment["rows"] if row[3] is not None}
    absent = {leaf["id"] for leaf in _leaves(document["root"])} - present
    final = run["method"]["final"]
    assert absent and absent <= set(final["pruned"])
    root = _without(document["root"], absent)
    gone = set(final["pruned"])
    overrides = []
    for override in document.get("overrides") or []:
        override = {**override}
        for key in ("weights", "normalisation"):
            if isinstance(override.get(key), dict):
                override[key] = {k: v for k, v in override[key].items() if k not in gone}
        if override.get("exclude"):
            override["exclude"] = [k for k in override["exclude"] if k not in gone]
        overrides.append(override)
    for group, leaves in final["excluded_by_kind"].items():
        overrides.append({"peer_group": group, "exclude": leaves})
    scheme = from_document({**document, "root": root, "overrides": overrides})
    ids = [leaf.id for leaf in scheme.indicators]
    cells, fields = {}, {}
    for unit, ind, field, value, se in segment["rows"]:
        if ind not in ids:
            continue
        value = math.nan if value is None else value
        if field:
            fields[(unit, ind, field)] = value
        else:
            cells[(unit, ind)] = (value, math.nan if se is None else se)
    table = Table.from_cells([u["code"] for u in inputs["units"]],
                             [u["peer_group"] for u in inputs["units"]], ids, cells, fields,
                             segment.get("discrepancy") or None)
    options = run["options"]
    result = compute(scheme, table, seed=options["seed"], draws=options["draws"],
                     credibility=options.get("credibility"), sensitivity=True)
    return result.sensitivity


def test_the_report_is_the_engines_on_the_runs_own_snapshot(runs_client, auth, county):
    run = _started(runs_client, auth, county, kind="monthly", period="2026-05", polls=[],
                   draws=20, credibility={"mode": "weight", "slope": 1.0}, sensitivity=True)
    assert run["options"]["sensitivity"] is True
    served = runs_client.get(f"/api/v1/runs/{run['id']}/sensitivity", headers=auth("analyst"))
    assert served.status_code == 200, served.json
    report = served.json
    inputs = runs_client.get(f"/api/v1/runs/{run['id']}/inputs", headers=auth("analyst")).json
    expected = _engine_report(inputs, run)
    assert report == expected  # exactly: every float and every rank
    assert sorted(report["units"]) == sorted(county["units"])
    assert set(report["variants"]) == {
        "normalisation=zscore", "normalisation=robust_z", "normalisation=minmax",
        "normalisation=percentile", "weighting=equal", "weighting=entropy", "weighting=critic"}
    # The variants really move ranks in this county, so equality above is not vacuous.
    assert max(report["max_abs_shift_per_unit"]) > 0
    ranking = runs_client.get(f"/api/v1/runs/{run['id']}/ranking", headers=auth("analyst")).json
    size = {r["unit"]: r["group_size"] for r in ranking}
    for variant in report["variants"].values():
        if "skipped" not in variant:
            assert all(1 <= rank <= size[unit]
                       for unit, rank in zip(report["units"], variant["rank"], strict=True))


def test_a_mid_year_report_is_stored_and_recompute_reproduces_it(
        runs_client, auth, county, engines):
    run = _started(runs_client, auth, county, sensitivity=True)
    report = runs_client.get(f"/api/v1/runs/{run['id']}/sensitivity",
                             headers=auth("planner")).json
    inputs = runs_client.get(f"/api/v1/runs/{run['id']}/inputs", headers=auth("planner")).json
    again = compute_snapshot(inputs, run["options"])
    assert report == again.sensitivity
    # The report is of the final (blended) computation, and does not change the results.
    plain = _started(runs_client, auth, county)
    assert "sensitivity" not in plain["options"]
    assert plain["results_sha256"] == run["results_sha256"]
    check = runs_client.post(f"/api/v1/runs/{run['id']}/recompute", headers=auth("analyst")).json
    assert check["reproduced"] is True and check["sensitivity_reproduced"] is True
    assert check["difference_count"] == 0
    # A stored report that no longer matches is caught.
    with Session(engines["scoring"]) as session:
        stored = session.get(ScoreRun, run["id"])
        changed = copy.deepcopy(stored.sensitivity)
        variant = next(v for v in changed["variants"].values() if "rank" in v)
        variant["mean_abs_shift"] = math.nextafter(variant["mean_abs_shift"], math.inf)
        stored.sensitivity = changed
        session.commit()
    check = runs_client.post(f"/api/v1/runs/{run['id']}/recompute", headers=auth("analyst")).json
    assert check["reproduced"] is False and check["sensitivity_reproduced"] is False
    assert [d["field"] for d in check["differences"]] == ["sensitivity"]


def test_a_run_without_the_option_has_no_report(runs_client, auth, county):
    run = _started(runs_client, auth, county, kind="monthly", period="2026-05", polls=[],
                   draws=0)
    assert "sensitivity" not in run["options"]
    missing = runs_client.get(f"/api/v1/runs/{run['id']}/sensitivity", headers=auth("analyst"))
    assert missing.status_code == 404
    assert "'sensitivity' option" in missing.json["message"]
    assert missing.json["errors"] == {"sensitivity": ["not requested for this run"]}
    check = runs_client.post(f"/api/v1/runs/{run['id']}/recompute", headers=auth("analyst")).json
    assert check["reproduced"] is True and check["sensitivity_reproduced"] is None
    unknown = runs_client.get("/api/v1/runs/999999/sensitivity", headers=auth("analyst"))
    assert unknown.status_code == 404 and "sensitivity" not in unknown.json["message"]
    bad = start_run(runs_client, auth, county, draws=SENSITIVITY_DRAWS, sensitivity="perhaps")
    assert bad.status_code == 422 and "sensitivity" in bad.json["errors"]["json"]


@pytest.mark.parametrize("role,unit", [("planner", None), ("analyst", None), ("service", None),
                                       ("inspector", None), ("unit", "T03")])
def test_roles_and_visibility_are_the_rankings(runs_client, auth, county, role, unit):
    run = _started(runs_client, auth, county, kind="monthly", period="2026-05", polls=[],
                   draws=0, sensitivity=True)
    base = f"/api/v1/runs/{run['id']}"
    headers = auth(role, unit)

    def statuses():
        return (runs_client.get(f"{base}/ranking", headers=headers).status_code,
                runs_client.get(f"{base}/sensitivity", headers=headers))

    ranking, sensitivity = statuses()
    assert sensitivity.status_code == ranking
    assert ranking == {"planner": 200, "analyst": 200, "service": 200, "inspector": 403,
                       "unit": 404}[role]
    runs_client.post(f"{base}/publish", headers=auth("planner"))
    ranking, sensitivity = statuses()
    assert sensitivity.status_code == ranking
    if role == "unit":  # like the ranking: its own unit only
        full = runs_client.get(f"{base}/sensitivity", headers=auth("analyst")).json
        mine = full["units"].index("T03")
        assert sensitivity.json["units"] == ["T03"]
        assert sensitivity.json["max_abs_shift_per_unit"] == [
            full["max_abs_shift_per_unit"][mine]]
        for name, variant in sensitivity.json["variants"].items():
            if "rank" in variant:
                assert variant["rank"] == [full["variants"][name]["rank"][mine]]


def test_the_report_as_csv_and_xlsx(runs_client, auth, county):
    import csv
    import io

    import openpyxl

    run = _started(runs_client, auth, county, kind="monthly", period="2026-05", polls=[],
                   draws=0, sensitivity=True)
    url, headers = f"/api/v1/runs/{run['id']}/sensitivity", auth("analyst")
    report = runs_client.get(url, headers=headers).json
    ranking = {r["unit"]: r for r in runs_client.get(
        f"/api/v1/runs/{run['id']}/ranking", headers=headers).json}
    from services.scoring.engine.pipeline import (
        SENSITIVITY_NORMALISATIONS,
        SENSITIVITY_WEIGHTINGS,
    )

    order = [f"normalisation={n}" for n in SENSITIVITY_NORMALISATIONS] + [
        f"weighting={w}" for w in SENSITIVITY_WEIGHTINGS]
    taken = [name for name in order if "rank" in report["variants"][name]]
    assert len(taken) >= 3  # columns of the variants the scheme could take, engine order
    text = runs_client.get(f"{url}?format=csv", headers=headers)
    assert text.status_code == 200 and text.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text.data.decode("utf-8-sig"))))
    assert rows[0] == ["unit", "peer_group", "rank", "max_abs_shift",
                       *(f"rank:{name}" for name in taken)]
    assert len(rows) == 1 + len(report["units"])
    for i, row in enumerate(rows[1:]):
        unit = report["units"][i]
        assert row[:4] == [unit, ranking[unit]["peer_group"], str(ranking[unit]["rank"]),
                           str(report["max_abs_shift_per_unit"][i])]
        assert row[4:] == [str(report["variants"][name]["rank"][i]) for name in taken]
    book = runs_client.get(f"{url}?format=xlsx", headers=headers)
    sheet = openpyxl.load_workbook(io.BytesIO(book.data)).active
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    assert cells[0] == rows[0] and len(cells) == len(rows)
    assert runs_client.get(f"{url}?format=pdf", headers=headers).status_code == 422


def test_ranking_per_group_with_intervals_and_awards(runs_client, midyear, auth):
    rows = runs_client.get(f"/api/v1/runs/{midyear['id']}/ranking", headers=auth("analyst")).json
    by_group: dict[str, list] = {}
    for row in rows:
        by_group.setdefault(row["peer_group"], []).append(row)
    assert sorted(by_group) == ["G01", "G02", "TS"]
    seats = midyear["method"]["final"]["seats"]
    total = len(rows)
    assert sum(seats.values()) == int(0.2 * total + 0.5)
    for group, members in by_group.items():
        assert [r["rank"] for r in members] == list(range(1, len(members) + 1))
        composites = [r["composite"] for r in members]
        assert composites == sorted(composites, reverse=True)
        assert sum(r["advanced"] for r in members) == seats[group]
        for r in members:
            assert r["composite_lo"] <= r["composite_hi"]
            assert 1 <= r["rank_lo"] <= r["rank_hi"] <= len(members)
            assert 0 <= r["p_advanced"] <= 1
            assert r["near_cutoff"] == (0.2 <= r["p_advanced"] <= 0.8)
    missing = runs_client.get(f"/api/v1/runs/{midyear['id']}/ranking?group=G99",
                              headers=auth("analyst"))
    assert missing.status_code == 404


def test_unit_tokens_see_only_their_unit_of_published_runs(runs_client, midyear, auth):
    me = auth("unit", "T03")
    run_id = midyear["id"]
    assert runs_client.get("/api/v1/runs", headers=me).json == []
    assert runs_client.get(f"/api/v1/runs/{run_id}", headers=me).status_code == 404
    assert runs_client.post("/api/v1/runs", json={}, headers=me).status_code == 403
    runs_client.post(f"/api/v1/runs/{run_id}/publish", headers=auth("planner"))
    assert [r["id"] for r in runs_client.get("/api/v1/runs", headers=me).json] == [run_id]
    rows = runs_client.get(f"/api/v1/runs/{run_id}/ranking", headers=me).json
    assert [r["unit"] for r in rows] == ["T03"]
    assert runs_client.get(f"/api/v1/runs/{run_id}/units/T03", headers=me).status_code == 200
    assert runs_client.get(f"/api/v1/runs/{run_id}/units/T04", headers=me).status_code == 404
    sheet = runs_client.get(f"/api/v1/runs/{run_id}/ranking?format=csv", headers=me)
    assert len(list(csv.DictReader(io.StringIO(sheet.data.decode("utf-8-sig"))))) == 1


def test_exports_parse_back(runs_client, midyear, auth):
    headers = auth("analyst")
    url = f"/api/v1/runs/{midyear['id']}/ranking"
    rows = runs_client.get(url, headers=headers).json
    sheet = runs_client.get(f"{url}?format=csv", headers=headers)
    assert sheet.status_code == 200 and sheet.mimetype == "text/csv"
    parsed = list(csv.DictReader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert [p["unit"] for p in parsed] == [r["unit"] for r in rows]
    assert [float(p["composite"]) for p in parsed] == [r["composite"] for r in rows]
    assert parsed[0]["name_zh"] == rows[0]["name_zh"]
    book = runs_client.get(f"{url}?format=xlsx&group=TS", headers=headers)
    assert book.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(book.data)).active
    table = list(ws.iter_rows(values_only=True))
    header, body = table[0], table[1:]
    towns = [r for r in rows if r["peer_group"] == "TS"]
    assert [b[header.index("unit")] for b in body] == [r["unit"] for r in towns]
    assert [b[header.index("p_advanced")] for b in body] == [r["p_advanced"] for r in towns]
    assert "contribution:poll_satisfaction" in header


def test_formula_like_text_is_guarded_in_exports(runs_client, auth, county, scoring_client):
    renamed = scoring_client.patch("/api/v1/units/T01", headers=auth("planner"),
                                   json={"name_en": "=HYPERLINK(\"x\")"})
    assert renamed.status_code == 200, renamed.json
    run = start_run(runs_client, auth, county, draws=0).json
    sheet = runs_client.get(f"/api/v1/runs/{run['id']}/ranking?format=csv&group=TS",
                            headers=auth("analyst"))
    names = [r["name_en"] for r in csv.DictReader(io.StringIO(sheet.data.decode("utf-8-sig")))]
    assert "'=HYPERLINK(\"x\")" in names


def test_monthly_runs_compare_with_the_previous_month(runs_client, auth, county):
    def monthly(period):
        response = start_run(runs_client, auth, county, kind="monthly", period=period, polls=[],
                          draws=0)
        assert response.status_code == 201, response.json
        return response.json

    may, june = monthly("2026-05"), monthly("2026-06")
    assert "poll_satisfaction" in june["method"]["final"]["pruned"]
    assert june["sources"]["survey"]["status"] == "not requested"
    rows = runs_client.get(f"/api/v1/runs/{june['id']}/ranking", headers=auth("analyst")).json
    before = {r["unit"]: r for r in runs_client.get(f"/api/v1/runs/{may['id']}/ranking",
                                                    headers=auth("analyst")).json}
    for row in rows:
        assert row["previous_run_id"] == may["id"]
        assert row["composite_change"] == pytest.approx(
            row["composite"] - before[row["unit"]]["composite"])
        assert row["rank_change"] == before[row["unit"]]["rank"] - row["rank"]
    unit = runs_client.get(f"/api/v1/runs/{june['id']}/units/D001", headers=auth("analyst")).json
    assert unit["vertical"]["period"] == "2026-05"
