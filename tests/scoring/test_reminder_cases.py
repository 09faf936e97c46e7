"""What reminders are about: the open cases of a day, and the ones that are no longer."""

from __future__ import annotations

from datetime import date

import pytest

from services.scoring.reminder_cases import open_cases
from tests.scoring import reminder_support

pytestmark = pytest.mark.commits
reminder_county = reminder_support.reminder_county
ORDERS = [{"id": 1, "unit": "T02", "deadline": "2026-07-09", "state": "reopened"},
          {"id": 2, "unit": "T02", "deadline": "2026-07-09", "state": "submitted"},
          {"id": 3, "unit": "T01", "deadline": "2026-09-01", "state": "open"}]


def _keys(county, day, orders=None):
    with county["factory"]() as session:
        return [(c.key, c.deadline.isoformat()) for c in open_cases(session, day, 3, orders)]


def test_cases_in_the_window_and_only_while_open(reminder_county, auth):
    client = reminder_county["client"]
    assert _keys(reminder_county, date(2026, 7, 8), lambda: ORDERS) == [
        ("instruction:1:T01", "2026-06-20"), ("instruction:1:T02", "2026-06-20"),
        ("milestone:KT9:1", "2026-06-20"), ("order:1", "2026-07-09"),
        ("self_check:2026-06:D001", "2026-07-10"), ("self_check:2026-06:T01", "2026-07-10"),
        ("self_check:2026-06:T02", "2026-07-10")]
    assert _keys(reminder_county, date(2026, 6, 1)) == []  # nothing within 3 days
    assert _keys(reminder_county, date(2026, 7, 21)) == [  # 31 days late: no more
        ("self_check:2026-06:D001", "2026-07-10"), ("self_check:2026-06:T01", "2026-07-10"),
        ("self_check:2026-06:T02", "2026-07-10")]
    assert client.post("/api/v1/key-tasks/KT9/progress", headers=auth("unit", "T02"), json={
        "milestone": 1, "percent": 100, "status": "done",
        "completed_on": "2026-06-19"}).status_code == 201
    assert client.post("/api/v1/instructions/1/reports", headers=auth("unit", "T01"),
                       json={"text": "完成", "completed": True}).status_code == 201
    assert _keys(reminder_county, date(2026, 6, 20)) == []
