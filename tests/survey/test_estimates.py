"""Estimates of a poll, checked against independent computations; the estimate() step on
in-memory samples (clusters, imputation, unused margins)."""

import io
import math
import random

import numpy as np
from openpyxl import load_workbook

from services.survey.estimates import Options, Sample, estimate
from services.survey.questionnaire_document import validate_document
from tests.survey.conftest import MARGINS, sample_document

HEADER = ["form_id", "township", "sex", "age", "sat", "problem", "years", "services"]
CONTRACT_KEYS = {"township", "question", "statistic", "category", "estimate", "se", "ci_low",
                 "ci_high", "n", "n_eff", "deff"}


def forms(seed=7, sizes=(("T01", 60), ("T02", 40))):
    rng = random.Random(seed)
    rows = []
    for township, size in sizes:
        for i in range(size):
            sex = rng.choice([1, 1, 2])            # men over-represented: raking must fix it
            age = rng.choice([1, 2, 2, 3])
            sat = rng.choice([1, 2, 3, 4, 4, 5, 5]) if sex == 1 else rng.choice([2, 3, 4, 5])
            rows.append([f"{township}-{i}", township, sex, age, sat, 2, rng.randint(0, 80),
                         rng.choice(["1", "2", "1;3", "98"])])
    return rows


def import_forms(client, planner, poll_id, rows):
    body = ",".join(HEADER) + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n"
    response = client.post(f"/api/v1/polls/{poll_id}/paper-import", headers=planner,
                           data={"file": (io.BytesIO(body.encode()), "f.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()


def wilson(p, n, z=1.959963984540054):
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def row(rows, township, question, statistic, category=None):
    return next(r for r in rows if r["township"] == township and r["question"] == question
                and r["statistic"] == statistic and r["category"] == category)


def test_unraked_satisfaction_rate_matches_hand_computation(client, planner, make_poll, auth):
    poll = make_poll()
    data = forms()
    import_forms(client, planner, poll["id"], data)
    result = client.get(f"/api/v1/polls/{poll['id']}/estimates?rake=false",
                        headers=auth("service")).get_json()
    assert result["method"]["raking"]["applied"] is False
    for township, population in (("T01", 10000), ("T02", 6000)):
        ys = [1.0 if r[4] in (4, 5) else 0.0 for r in data if r[1] == township]
        n, p = len(ys), sum(ys) / len(ys)
        got = row(result["rows"], township, "sat", "satisfaction_rate")
        assert got["n"] == n and math.isclose(got["estimate"], p, rel_tol=1e-12)
        se = math.sqrt((1 - n / population) * p * (1 - p) / (n - 1))
        assert math.isclose(got["se"], se, rel_tol=1e-9)
        assert math.isclose(got["n_eff"], n) and math.isclose(got["deff"], 1.0)
        low, high = wilson(p, n)
        assert math.isclose(got["ci_low"], low, rel_tol=1e-9)
        assert math.isclose(got["ci_high"], high, rel_tol=1e-9)
        years = [r[6] for r in data if r[1] == township]
        mean = row(result["rows"], township, "years", "mean")
        assert math.isclose(mean["estimate"], sum(years) / n, rel_tol=1e-12)
    services = [r for r in data if r[1] == "T01" and r[7] != "98"]
    share = sum("1" in r[7].split(";") for r in services) / len(services)
    got = row(result["rows"], "T01", "services", "proportion", "1")
    assert got["n"] == len(services) and math.isclose(got["estimate"], share)
    assert all(set(r) == CONTRACT_KEYS for r in result["rows"])
    assert {r["statistic"] for r in result["rows"]} == {"proportion", "mean",
                                                        "satisfaction_rate"}


def test_raking_hits_the_township_margins(client, planner, make_poll, auth):
    poll = make_poll()
    import_forms(client, planner, poll["id"], forms())
    result = client.get(f"/api/v1/polls/{poll['id']}/estimates?overall=true",
                        headers=auth("analyst")).get_json()
    raking = result["method"]["raking"]
    assert raking["applied"] and raking["converged"] and raking["tol"] == 1e-8
    assert raking["iterations"] >= 1 and raking["max_iter"] == 500
    for township in ("T01", "T02"):
        counts = {c: n for v, c, n in MARGINS[township] if v == "sex"}
        total = sum(counts.values())
        got = row(result["rows"], township, "sex", "proportion", "1")
        assert math.isclose(got["estimate"], counts["M"] / total, rel_tol=1e-8)
        assert got["n_eff"] < got["n"] and got["deff"] > 1
        ages = {c: n for v, c, n in MARGINS[township] if v == "age_band"}
        got = row(result["rows"], township, "age", "proportion", "3")
        assert math.isclose(got["estimate"], ages["60+"] / total, rel_tol=1e-8)
    overall = row(result["rows"], "ALL", "sex", "proportion", "2")
    assert math.isclose(overall["estimate"], (4800 + 2900) / 16000, rel_tol=1e-8)
    unused = [m for m in result["method"]["margins"] if not m["used"]]
    assert unused == [{"township": "T01", "variable": "education", "used": False,
                       "reason": "not collected by the poll (education)"}]
    trimmed = client.get(f"/api/v1/polls/{poll['id']}/estimates?trim_upper=1.2&trim_lower=0.8",
                         headers=auth("analyst")).get_json()
    assert trimmed["method"]["raking"]["trim"]["at_bound"] > 0


def test_filters_and_exports(client, planner, make_poll, auth):
    poll = make_poll()
    import_forms(client, planner, poll["id"], forms())
    analyst = auth("analyst")
    url = f"/api/v1/polls/{poll['id']}/estimates"
    only = client.get(url + "?township=T02&question=sat", headers=analyst).get_json()["rows"]
    assert {(r["township"], r["question"]) for r in only} == {("T02", "sat")}
    csv_text = client.get(url + "/export?format=csv&question=sat",
                          headers=analyst).get_data(as_text=True)
    assert csv_text.lstrip("\ufeff").startswith("township,question,statistic,category,estimate")
    assert csv_text.count("satisfaction_rate") == 2
    xlsx = client.get(url + "/export?format=xlsx", headers=analyst)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[1]][:3] == ["township", "question", "statistic"]
    assert sheet.max_row > 10


def test_estimates_roles_and_empty_poll(client, make_poll, auth):
    poll = make_poll()
    url = f"/api/v1/polls/{poll['id']}/estimates"
    assert client.get(url, headers=auth("unit", "T01")).status_code == 403
    empty = client.get(url, headers=auth("service")).get_json()
    assert empty["rows"] == [] and empty["poll_id"] == poll["id"]


def document():
    return validate_document(sample_document())


def blank_answers(n):
    return {q["id"]: [None] * n for q in sample_document()["questions"]}


def test_cluster_standard_error_matches_ultimate_cluster_formula():
    sat = [5, 4, 1, 2, 5, 5, 3, 4, 1, 1, 4, 5]
    clusters = ["a", "a", "a", "b", "b", "b", "c", "c", "c", "d", "d", "d"]
    answers = blank_answers(12)
    answers["sat"] = sat
    sample = Sample(np.array(["T01"] * 12, dtype=object), np.array(clusters, dtype=object),
                    answers)
    result = estimate(sample, document(), {}, Options())
    got = next(r for r in result["rows"] if r["question"] == "sat" and r["statistic"] == "mean")
    mean = sum(sat) / 12
    totals = {}
    for y, c in zip(sat, clusters, strict=True):
        totals[c] = totals.get(c, 0.0) + (y - mean) / 12
    m = len(totals)
    se = math.sqrt(m / (m - 1) * sum(t * t for t in totals.values()))
    assert math.isclose(got["estimate"], mean) and math.isclose(got["se"], se, rel_tol=1e-9)
    assert result["method"]["raking"] == {"applied": False, "note": "no usable margins"}


def test_missing_raking_answers_are_imputed_and_unusable_margins_reported():
    n = 8
    answers = blank_answers(n)
    answers["sex"] = [1, 2, 1, 2, 98, 1, 2, 2]
    answers["age"] = [1, 2, 1, 2, 1, 2, 1, 2]            # nobody 60+
    answers["sat"] = [4, 5, 1, 2, 4, 4, 5, 3]
    table = {"T01": {"sex": {"M": 500.0, "F": 500.0},
                     "age_band": {"18-34": 400.0, "35-59": 400.0, "60+": 200.0},
                     "education": {"low": 600.0, "high": 400.0}}}
    sample = Sample(np.array(["T01"] * n, dtype=object), None, answers)
    result = estimate(sample, document(), table, Options())
    reasons = {m["variable"]: m["reason"] for m in result["method"]["margins"]}
    assert reasons["sex"] is None
    assert reasons["age_band"] == "no respondents in categories ['60+']"
    assert reasons["education"] == "not collected by the poll (education)"
    raking = result["method"]["raking"]
    assert raking["applied"] and raking["imputed_categories"] == {"sex": 1}
    share = next(r for r in result["rows"] if r["question"] == "sex" and r["category"] == "2")
    # 4 women of 7 valid answers raked to half of the population: the DK respondent was
    # imputed as a woman (the modal category), so women carry 500 over 5 respondents.
    assert math.isclose(share["estimate"], (4 * 100) / (4 * 100 + 3 * 500 / 3), rel_tol=1e-9)
