"""AAPOR outcome rates of a poll from its dispositions, checked against a worked example."""

import math

from tests.survey.test_estimates import forms, import_forms


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
