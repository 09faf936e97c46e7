"""Periods: codes, dates, state and deadline."""

from datetime import date

import pytest

from services.scoring.periods import months_in, parse_period
from shared.errors import ValidationFailed


@pytest.mark.parametrize("code, expected", [
    ("2026-02", ("month", date(2026, 2, 1), date(2026, 2, 28))),
    ("2028-02", ("month", date(2028, 2, 1), date(2028, 2, 29))),
    ("2026-Q2", ("quarter", date(2026, 4, 1), date(2026, 6, 30))),
    ("2026-H2", ("half_year", date(2026, 7, 1), date(2026, 12, 31))),
    ("2026", ("year", date(2026, 1, 1), date(2026, 12, 31))),
])
def test_period_codes(code, expected):
    assert parse_period(code) == expected


@pytest.mark.parametrize("code", ["2026-13", "2026-Q5", "2026-H3", "26", "2026-1", ""])
def test_malformed_codes(code):
    with pytest.raises(ValidationFailed):
        parse_period(code)


def test_months_in_a_half_year():
    assert months_in("2026-H1") == [f"2026-{m:02d}" for m in range(1, 7)]


def test_periods_over_http(scoring_client, auth):
    planner = auth("planner")
    created = scoring_client.post("/api/v1/periods/year", json={"year": 2026}, headers=planner)
    assert created.status_code == 201 and len(created.json) == 19
    again = scoring_client.post("/api/v1/periods/year", json={"year": 2026}, headers=planner)
    assert again.json == []
    june = scoring_client.get("/api/v1/periods/2026-06", headers=auth("unit", "T01")).json
    # default deadline: end of the 10th day after the month, Asia/Shanghai, stored as UTC
    assert june["state"] == "open" and june["deadline"] == "2026-07-10T15:59:59+00:00"
    halves = scoring_client.get("/api/v1/periods?kind=half_year", headers=planner).json
    assert [p["code"] for p in halves] == ["2026-H1", "2026-H2"]
    closed = scoring_client.patch("/api/v1/periods/2026-06", headers=planner, json={
        "state": "closed", "deadline": "2026-07-05T12:00:00+08:00"})
    assert closed.json["state"] == "closed"
    assert closed.json["deadline"] == "2026-07-05T04:00:00+00:00"
    assert scoring_client.post("/api/v1/periods", json={"code": "2026-06"},
                               headers=planner).status_code == 409
    assert scoring_client.post("/api/v1/periods", json={"code": "2026-Q9"},
                               headers=planner).status_code == 422
    assert scoring_client.get("/api/v1/periods/2030-01", headers=planner).status_code == 404
    assert scoring_client.patch("/api/v1/periods/2026-05", json={"state": "closed"},
                                headers=auth("analyst")).status_code == 403
