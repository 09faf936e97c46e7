"""Estimates and outcome rates of a poll, checked against independent computations."""

import io
import math
import random

from openpyxl import load_workbook

from tests.survey.conftest import MARGINS

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


def test_outcome_rates_match_a_worked_example(client, planner, make_poll, auth):
    poll = make_poll()
    import_forms(client, planner, poll["id"], forms(sizes=(("T01", 4),)))     # I = 4
    links = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner,
                        json={"count": 7, "township": "T01"}).get_json()["links"]
    codes = ["1.2", "2.11", "2.11", "2.20", "2.30", "4.10", None]      # last: UO (3.19)
    for link, code in zip(links, codes, strict=True):
        if code:
            response = client.put(f"/api/v1/interviews/{link['interview_id']}/disposition",
                                  headers=planner, json={"disposition": code})
            assert response.status_code == 200
    I, P, R, NC, O, UH, UO, NE = 4, 1, 2, 1, 1, 0, 1, 1  # noqa: E741,N806
    e = (I + P + R + NC + O) / (I + P + R + NC + O + NE)
    all_cases = I + P + R + NC + O + UH + UO
    with_e = I + P + R + NC + O + e * (UH + UO)
    known = I + P + R + NC + O
    expected = {"RR1": I / all_cases, "RR2": (I + P) / all_cases, "RR3": I / with_e,
                "RR4": (I + P) / with_e, "RR5": I / known, "RR6": (I + P) / known,
                "COOP1": I / (I + P + R + O), "COOP2": (I + P) / (I + P + R + O),
                "COOP3": I / (I + P + R), "COOP4": (I + P) / (I + P + R),
                "REF1": R / all_cases, "REF2": R / with_e, "REF3": R / known,
                "CON1": (I + P + R + O) / all_cases, "CON2": (I + P + R + O) / with_e,
                "CON3": (I + P + R + O) / known}
    result = client.get(f"/api/v1/polls/{poll['id']}/outcome-rates",
                        headers=auth("analyst")).get_json()
    t01 = result["townships"][0]
    assert t01["counts"] == {"I": I, "P": P, "R": R, "NC": NC, "O": O, "UH": UH, "UO": UO,
                             "NE": NE}
    assert math.isclose(t01["e"], e) and t01["e_method"].startswith("resolved")
    for name, value in expected.items():
        assert math.isclose(t01["rates"][name], value), name
    given = client.get(f"/api/v1/polls/{poll['id']}/outcome-rates?e=0.5",
                       headers=auth("analyst")).get_json()["overall"]
    assert given["e"] == 0.5 and math.isclose(given["rates"]["RR3"],
                                              I / (known + 0.5 * (UH + UO)))
    t02 = result["townships"][1]
    assert t02["rates"]["RR1"] is None and "zero" in t02["reasons"]["RR1"]
    csv_text = client.get(f"/api/v1/polls/{poll['id']}/outcome-rates/export",
                          headers=auth("analyst")).get_data(as_text=True)
    assert "RR1" in csv_text.splitlines()[0] and csv_text.splitlines()[-1].startswith("ALL")
