"""A run's computation from its snapshot: pure, segments pruned, the period blend of
mid-year and year-end runs, the run's engine options."""

from __future__ import annotations

import math

import pytest

from tests.scoring.run_support import start_run


def _leaf(node_id, **extra):
    return {"id": node_id, "source": "direct", "direction": "higher", "unit_of_measure": "",
            **extra}


DOCUMENT = {"missing": "reweight", "root": {"id": "total", "children": [_leaf("a")]}}


def test_a_flat_document_is_read_as_its_tree():
    from services.scoring.scheme_document import nested_document

    flat = {"missing": "reweight", "nodes": [
        {"id": "total", "weighting": {"method": "equal"}},
        {"id": "a", "parent": "total", **_leaf("a")},
        {"id": "b", "parent": "total", **_leaf("b")}]}
    nested = nested_document(flat)
    assert "nodes" not in nested and nested["missing"] == "reweight"
    assert [c["id"] for c in nested["root"]["children"]] == ["a", "b"]
    assert nested_document(DOCUMENT) is DOCUMENT


def test_a_runs_method_record_carries_warnings_and_absent_indicators():
    from services.scoring.assessment import compute_snapshot

    document = {"missing": "fail", "root": {"id": "total", "children": [
        _leaf("gdp", weight=0.5, transform={"kind": "log"},
              normalisation={"method": "goalposts", "min": 100, "max": 75000}),
        _leaf("c", weight=0.5),
        _leaf("sat", source="poll", weight=0.0)]}}
    units = [{"code": f"U{i}", "peer_group": "G1", "kind": "department"} for i in range(3)]
    rows = [[u["code"], "gdp", "", value, None] for u, value in
            zip(units, (900, 5e3, 4e4), strict=True)]
    rows += [[u["code"], "c", "", float(i), None] for i, u in enumerate(units)]
    snapshot = {"kind": "monthly", "period": "2026-06", "sources": {}, "units": units,
                "scheme_version": {"id": 1, "scheme": "s", "version": 1, "document": document},
                "segments": [{"role": "snapshot", "period": "2026-06", "rows": rows}]}
    method = compute_snapshot(snapshot, {"seed": 1, "draws": 0}).method
    assert method["final"]["engine"]["absent_indicators"] == ["sat"]
    assert method["final"]["pruned"] == ["sat"]
    assert len(method["warnings"]) == 1
    assert method["warnings"][0].startswith("2026-06: gdp: every value after the log transform "
                                            "lies outside the goalposts [100, 75000]")
    assert method["warnings"][0][len("2026-06: "):] in method["final"]["engine"]["warnings"]


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


def test_year_end_blends_four_quarters_with_a_named_weighting(runs_client, auth, county):
    response = start_run(runs_client, auth, county, kind="year-end", period="2026", draws=0,
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
    response = start_run(runs_client, auth, county, fay_herriot="REML",
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


def test_the_blend_widens_the_day_to_day_se_for_its_correlation_with_the_snapshot():
    """Quarters and snapshot reading the same values: the blend's interval is that of
    perfectly correlated D and S, w_d·sd_D + w_s·sd_S, not the independent
    √(w_d² sd_D² + w_s² sd_S²)."""
    from scipy.stats import norm

    from services.scoring.assessment import compute_snapshot

    document = {"missing": "reweight", "root": {"id": "total", "children": [
        _leaf("x", weight=1.0, normalisation={"method": "goalposts", "min": 0, "max": 100})]}}
    units = [{"code": f"U{i}", "peer_group": "G1", "kind": "department"} for i in range(6)]
    rows = [[u["code"], "x", "", 40.0 + 4 * i, 2.0] for i, u in enumerate(units)]
    segments = [{"role": "day_to_day", "period": q, "rows": rows} for q in ("2026-Q1", "2026-Q2")]
    segments.append({"role": "snapshot", "period": "2026-H1", "rows": rows})
    snapshot = {"kind": "mid-year", "period": "2026-H1", "sources": {}, "units": units,
                "scheme_version": {"id": 1, "scheme": "s", "version": 1, "document": document},
                "segments": segments}
    computed = compute_snapshot(snapshot, {"seed": 3, "draws": 8000})
    z = norm.ppf(0.95)
    sd = 2.0  # composite points per value point: goalposts 0..100
    sd_d = math.sqrt(2 * sd ** 2) / 2
    bound, independent = 0.7 * sd_d + 0.3 * sd, math.hypot(0.7 * sd_d, 0.3 * sd)
    for row in computed.rows:
        width = (row["composite_hi"] - row["composite_lo"]) / (2 * z)
        assert width == pytest.approx(bound, rel=0.05)
        assert width > 1.2 * independent
    assert "se_S" in computed.method["blend"]["day_to_day_se"]
