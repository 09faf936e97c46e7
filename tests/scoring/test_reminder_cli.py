"""``kaoping reminders send --at``: one round on the configured database and SMS account."""

from __future__ import annotations

import json

import pytest

from services.cli import main
from services.scoring.reminder_cli import _instant
from tests.scoring import reminder_support

pytestmark = pytest.mark.commits
reminder_county = reminder_support.reminder_county


def test_instants():
    assert _instant("2026-06-17T09:00+08:00").isoformat() == "2026-06-17T09:00:00+08:00"
    assert _instant("2026-06-17T01:00").isoformat() == "2026-06-17T01:00:00+00:00"
    assert main(["reminders", "send", "--at", "yesterday"]) == 2


def test_a_round_from_the_command_line(reminder_county, engines, monkeypatch, capsys):
    monkeypatch.setenv("SCORING_DATABASE_URL",
                       engines["scoring"].url.render_as_string(hide_password=False))
    monkeypatch.setenv("TWILIO_API_BASE_URL", reminder_county["carrier_url"])
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", reminder_support.TOKEN)
    monkeypatch.setenv("SCORING_PUBLIC_BASE_URL", reminder_county["scoring_url"])
    monkeypatch.setenv("INSPECTION_URL", "http://127.0.0.1:9")  # down: no order reminders
    assert main(["reminders", "send", "--at", "2026-06-17T09:00+08:00", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["day"] == "2026-06-17" and not printed["quiet"]
    assert [s["case"] for s in printed["sent"]] == [
        "instruction:1:T01", "instruction:1:T02", "milestone:KT9:1"]
    assert main(["reminders", "send", "--at", "2026-06-17T09:05+08:00"]) == 0
    assert "0 reminder(s) on 2026-06-17" in capsys.readouterr().out
    assert main(["reminders", "send", "--at", "2026-06-17T23:00+08:00"]) == 0
    assert "quiet hours" in capsys.readouterr().out
