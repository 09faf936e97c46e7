"""Score runs end to end: inputs over HTTP, snapshot, compute, store, re-run, publish."""

from __future__ import annotations

import csv
import io
import math
import threading
from concurrent.futures import ThreadPoolExecutor

import openpyxl
import pytest
import requests

from services.scoring.assessment import compute_snapshot
from tests.support import serving

DRAWS = 200


def _start(client, auth, county, headers=None, **extra):
    body = {"scheme_version_id": county["scheme_version_id"], "period": "2026-H1",
            "kind": "mid-year", "seed": 11, "polls": [1, 2], "draws": DRAWS, **extra}
    return client.post("/api/v1/runs", json=body, headers={**auth("planner"), **(headers or {})})


@pytest.fixture
def midyear(runs_client, auth, county):
    response = _start(runs_client, auth, county)
    assert response.status_code == 201, response.json
    return response.json


def test_mid_year_run_pulls_every_source_over_http(midyear, sources, county):
    _survey, _inspection, log = sources
    assert log.roles == {"service"}
    assert [c for c in log.calls if "unit-scores" in c] == [
        "inspection /api/v1/unit-scores?from=2026-01-01&to=2026-03-31",
        "inspection /api/v1/unit-scores?from=2026-04-01&to=2026-06-30",
        "inspection /api/v1/unit-scores?from=2026-01-01&to=2026-06-30"]
    assert midyear["state"] == "computed" and midyear["units"] == len(county["units"])
    assert midyear["sources"]["survey"] == {"status": "ok", "polls": [1, 2]}
    blend = midyear["method"]["blend"]
    assert (blend["day_to_day"], blend["snapshot"]) == (0.7, 0.3)
    assert blend["day_to_day_periods"] == ["2026-Q1", "2026-Q2"]
    quarters = midyear["method"]["segments"]
    assert "poll_satisfaction" in quarters[0]["pruned"]  # no poll in a quarter
    assert midyear["method"]["final"]["excluded_by_kind"]["G01"] == ["poll_satisfaction"]


def test_polls_are_pooled_by_inverse_variance(runs_client, midyear, auth):
    inputs = runs_client.get(f"/api/v1/runs/{midyear['id']}/inputs", headers=auth("analyst")).json
    snapshot = next(s for s in inputs["segments"] if s["role"] == "snapshot")
    value, se = next((r[3], r[4]) for r in snapshot["rows"]
                     if r[0] == "T02" and r[1] == "poll_satisfaction")
    # Stub: T02 (i = 1) answers q_other first: 0.625 − 0.2 (+0.01 in poll 2).
    rates, ses = [0.425, 0.435], [0.032 + 0.01, 0.032 + 0.02]
    precision = [1 / s ** 2 for s in ses]
    pooled = sum(p * r for p, r in zip(precision, rates, strict=True)) / sum(precision)
    assert value == pytest.approx(pooled, abs=1e-12)
    assert se == pytest.approx(1 / math.sqrt(sum(precision)), abs=1e-12)


def test_mid_year_blends_quarters_and_snapshot_with_stated_weights(runs_client, midyear, auth):
    run_id = midyear["id"]
    for code in ("T01", "T07", "D001", "D015"):
        unit = runs_client.get(f"/api/v1/runs/{run_id}/units/{code}", headers=auth("analyst")).json
        quarters = [v for v in unit["segments"].values() if v is not None]
        day_to_day = sum(quarters) / len(quarters)
        expected = 0.7 * day_to_day + 0.3 * unit["nodes"]["total"]
        assert unit["composite"] == pytest.approx(expected, abs=1e-9)
        assert unit["sum_of_contributions"] == pytest.approx(unit["composite"], abs=1e-9)
        day = next(i for i in unit["indicators"] if i["indicator"] == "day_to_day")
        assert day["name_en"] == "Day-to-day results (2026-Q1, 2026-Q2)"
        assert day["raw"] == pytest.approx(day_to_day, abs=1e-12)
        group = runs_client.get(f"/api/v1/runs/{run_id}/ranking?group={unit['peer_group']}",
                                headers=auth("analyst")).json
        mean = sum(r["composite"] for r in group) / len(group)
        assert sum(i["pull"] for i in unit["indicators"]) == pytest.approx(
            unit["composite"] - mean, abs=1e-9)
        assert unit["horizontal"]["gap_to_mean"] == pytest.approx(unit["composite"] - mean)


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


def test_a_stored_run_re_runs_bit_for_bit(runs_client, midyear, auth, scoring_app):
    check = runs_client.post(f"/api/v1/runs/{midyear['id']}/recompute", headers=auth("analyst"))
    assert check.status_code == 200
    assert check.json["reproduced"] is True and check.json["difference_count"] == 0
    assert check.json["results_sha256_recomputed"] == midyear["results_sha256"]
    # Independently: the stored snapshot scored again gives exactly the stored numbers.
    inputs = runs_client.get(f"/api/v1/runs/{midyear['id']}/inputs", headers=auth("analyst")).json
    again = compute_snapshot(inputs, midyear["options"])
    rows = runs_client.get(f"/api/v1/runs/{midyear['id']}/ranking", headers=auth("analyst")).json
    stored = {r["unit"]: r for r in rows}
    for row in again.rows:
        for name in ("composite", "composite_lo", "composite_hi", "p_advanced", "rank"):
            assert row[name] == stored[row["unit"]][name]
    assert again.results_sha256 == midyear["results_sha256"]


def test_same_inputs_and_seed_give_the_same_run_and_another_seed_differs(
        runs_client, midyear, auth, county):
    same = _start(runs_client, auth, county).json
    assert same["id"] != midyear["id"]
    assert same["inputs_sha256"] == midyear["inputs_sha256"]
    assert same["results_sha256"] == midyear["results_sha256"]
    other = _start(runs_client, auth, county, seed=12).json
    assert other["results_sha256"] != midyear["results_sha256"]


def test_publish_freezes_the_run_and_its_scheme_version(runs_client, midyear, auth, county):
    planner = auth("planner")
    version_id = county["scheme_version_id"]
    published = runs_client.post(f"/api/v1/runs/{midyear['id']}/publish", headers=planner)
    assert published.status_code == 200 and published.json["state"] == "published"
    version = runs_client.get(f"/api/v1/scheme-versions/{version_id}", headers=planner).json
    assert version["frozen"] is True
    changed = runs_client.put(f"/api/v1/schemes/{version['scheme']}/versions/{version['version']}",
                              json=version["document"], headers=planner)
    assert changed.status_code == 409
    assert runs_client.post(f"/api/v1/runs/{midyear['id']}/publish",
                            headers=planner).status_code == 409
    assert runs_client.delete(f"/api/v1/runs/{midyear['id']}", headers=planner).status_code == 409
    check = runs_client.post(f"/api/v1/runs/{midyear['id']}/recompute", headers=planner).json
    assert check["reproduced"] is True
    draft = _start(runs_client, auth, county, seed=5).json
    assert runs_client.delete(f"/api/v1/runs/{draft['id']}", headers=planner).status_code == 204


def test_a_missing_source_fails_naming_it_or_is_skipped_by_policy(
        make_app, auth, county, sources):
    runs_client = make_app("scoring", SURVEY_URL=sources[0], INSPECTION_URL=sources[1],
                           SCORING_SOURCE_RETRIES=0).test_client()
    sources[2].inspection_down = True
    failed = _start(runs_client, auth, county)
    assert failed.status_code == 503
    assert failed.json["errors"] == {"service": ["inspection"]}
    assert "inspection" in failed.json["message"]
    assert runs_client.get("/api/v1/runs", headers=auth("planner")).json == []
    skipped = _start(runs_client, auth, county, missing_source="skip")
    assert skipped.status_code == 201, skipped.json
    assert skipped.json["sources"]["inspection"]["status"] == "skipped"
    assert "inspection_score" in skipped.json["method"]["final"]["pruned"]


def test_an_unreachable_survey_service_is_a_503_naming_it(make_app, auth, county):
    app = make_app("scoring", SURVEY_URL="http://127.0.0.1:9", INSPECTION_URL="http://127.0.0.1:9",
                   SCORING_SOURCE_RETRIES=0)
    response = _start(app.test_client(), auth, county)
    assert response.status_code == 503
    assert response.json["errors"] == {"service": ["survey"]}


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
    run = _start(runs_client, auth, county, draws=0).json
    sheet = runs_client.get(f"/api/v1/runs/{run['id']}/ranking?format=csv&group=TS",
                            headers=auth("analyst"))
    names = [r["name_en"] for r in csv.DictReader(io.StringIO(sheet.data.decode("utf-8-sig")))]
    assert "'=HYPERLINK(\"x\")" in names


def test_start_is_idempotent_on_a_key(runs_client, auth, county):
    key = {"Idempotency-Key": "0d9c6f3e-1b7a-4c55-9a55-3f0f1c2d4e5f"}
    first = _start(runs_client, auth, county, headers=key, draws=0)
    again = _start(runs_client, auth, county, headers=key, draws=0)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert len(runs_client.get("/api/v1/runs", headers=auth("planner")).json) == 1
    changed = _start(runs_client, auth, county, headers=key, draws=0, seed=99)
    assert changed.status_code == 409


def test_parallel_starts_with_one_key_make_one_run(make_app, sources, auth, county):
    survey_url, inspection_url, _log = sources
    app = make_app("scoring", SURVEY_URL=survey_url, INSPECTION_URL=inspection_url)
    body = {"scheme_version_id": county["scheme_version_id"], "period": "2026-H1",
            "kind": "mid-year", "seed": 11, "polls": [1, 2], "draws": 0}
    headers = {**auth("planner"), "Idempotency-Key": "5e0b1d2c-parallel-run"}
    start = threading.Barrier(4)
    with serving(app) as url:
        def post(_):
            start.wait()
            return requests.post(f"{url}/api/v1/runs", json=body, headers=headers, timeout=120)

        with ThreadPoolExecutor(4) as pool:
            responses = list(pool.map(post, range(4)))
        runs = requests.get(f"{url}/api/v1/runs", headers=auth("planner"), timeout=30).json()
    assert [r.status_code for r in responses] == [201] * 4, [r.text[:200] for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(runs) == 1


def test_monthly_runs_compare_with_the_previous_month(runs_client, auth, county):
    def monthly(period):
        response = _start(runs_client, auth, county, kind="monthly", period=period, polls=[],
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


@pytest.mark.parametrize("kind,period", [("mid-year", "2026-06"), ("monthly", "2026-Q1"),
                                         ("year-end", "2026-H1")])
def test_the_period_must_fit_the_kind(runs_client, auth, county, kind, period):
    response = _start(runs_client, auth, county, kind=kind, period=period)
    assert response.status_code == 422 and "period" in response.json["errors"]


def test_bad_input_is_a_422_per_field(runs_client, auth):
    response = runs_client.post("/api/v1/runs", headers=auth("planner"),
                                json={"kind": "weekly", "draws": -1})
    assert response.status_code == 422
    assert {"kind", "draws", "scheme_version_id", "period"} <= set(response.json["errors"]["json"])


def test_a_degenerate_rate_gets_the_agresti_coull_se():
    from services.scoring.run_inputs import usable_se

    row = {"estimate": 1.0, "se": 0.0, "n": 12, "n_eff": 8.0}
    p = (8 + 2) / 12
    assert usable_se(row, "satisfaction_rate") == pytest.approx(math.sqrt(p * (1 - p) / 12))
    assert usable_se({**row, "se": 0.05}, "satisfaction_rate") == 0.05
    assert usable_se({**row, "se": None}, "mean") is None


def test_single_visits_take_the_pooled_within_unit_sd():
    import statistics

    from services.scoring.run_inputs import pooled_sd

    visits = {"A": [70.0, 80.0, 90.0], "B": [60.0, 64.0], "C": [75.0]}
    rows = [{"unit": u, "n": len(v), "mean": statistics.fmean(v),
             "sd": statistics.stdev(v) if len(v) > 1 else None} for u, v in visits.items()]
    deviations = [x - statistics.fmean(v) for v in visits.values() if len(v) > 1 for x in v]
    expected = math.sqrt(sum(d * d for d in deviations) / (5 - 2))
    assert pooled_sd(rows) == pytest.approx(expected, rel=1e-12)
    assert pooled_sd([rows[2]]) is None


def test_year_end_blends_four_quarters_with_a_named_weighting(runs_client, auth, county):
    response = _start(runs_client, auth, county, kind="year-end", period="2026", draws=0,
                      period_weighting="daily_80")
    assert response.status_code == 201, response.json
    blend = response.json["method"]["blend"]
    assert blend["day_to_day_periods"] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert (blend["day_to_day"], blend["snapshot"]) == (0.8, 0.2)
    unit = runs_client.get(f"/api/v1/runs/{response.json['id']}/units/T05",
                           headers=auth("analyst")).json
    quarters = [v for v in unit["segments"].values() if v is not None]
    assert len(quarters) == 4
    assert unit["composite"] == pytest.approx(
        0.8 * sum(quarters) / 4 + 0.2 * unit["nodes"]["total"], abs=1e-9)


def test_run_options_shrink_polls_and_discount_self_checks(runs_client, auth, county):
    response = _start(runs_client, auth, county, fay_herriot="REML",
                      credibility={"mode": "weight", "slope": 1.0})
    assert response.status_code == 201, response.json
    final = response.json["method"]["final"]
    assert final["engine"]["fay_herriot"] == {"poll_satisfaction": "REML"}
    assert final["fay_herriot"]["poll_satisfaction"]["sigma2_v"] >= 0
    assert final["engine"]["credibility"]["mode"] == "weight"
    town = runs_client.get(f"/api/v1/runs/{response.json['id']}/units/T02",
                           headers=auth("analyst")).json
    poll = next(i for i in town["indicators"] if i["indicator"] == "poll_satisfaction")
    assert 0 <= poll["shrinkage"]["gamma"] <= 1 and poll["shrinkage"]["mse"] > 0
    inputs = runs_client.get(f"/api/v1/runs/{response.json['id']}/inputs",
                             headers=auth("analyst")).json
    rates = next(s for s in inputs["segments"] if s["role"] == "snapshot")["discrepancy"]
    rows = runs_client.get(f"/api/v1/runs/{response.json['id']}/ranking",
                           headers=auth("analyst")).json
    for row in rows:
        unit = runs_client.get(f"/api/v1/runs/{response.json['id']}/units/{row['unit']}",
                               headers=auth("analyst")).json
        assert unit["credibility"] == pytest.approx(1 - rates.get(row["unit"], 0.0))
        assert ("self_check_discounted" in row["flags"]) == (rates.get(row["unit"], 0) > 0)


def test_the_openapi_document_lists_the_run_endpoints(runs_client):
    paths = runs_client.get("/openapi.json").json["paths"]
    assert {"/api/v1/runs", "/api/v1/runs/{run_id}/ranking", "/api/v1/runs/{run_id}/publish",
            "/api/v1/runs/{run_id}/units/{code}"} <= set(paths)


def test_a_computed_run_outlives_a_deleted_draft_version(runs_client, auth, county):
    planner = auth("planner")
    run = _start(runs_client, auth, county, draws=0).json
    version = runs_client.get(f"/api/v1/scheme-versions/{county['scheme_version_id']}",
                              headers=planner).json
    deleted = runs_client.delete(f"/api/v1/schemes/{version['scheme']}/versions/"
                                 f"{version['version']}", headers=planner)
    assert deleted.status_code == 204
    kept = runs_client.get(f"/api/v1/runs/{run['id']}", headers=planner).json
    assert kept["scheme_version_id"] is None and kept["scheme_version"] == version["version"]
    check = runs_client.post(f"/api/v1/runs/{run['id']}/recompute", headers=planner).json
    assert check["reproduced"] is True
    refused = runs_client.post(f"/api/v1/runs/{run['id']}/publish", headers=planner)
    assert refused.status_code == 409 and "deleted" in refused.json["message"]
