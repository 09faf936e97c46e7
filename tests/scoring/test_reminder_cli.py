"""``kaoping reminders send --at``: one round on the configured database and SMS account."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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


def test_two_processes_racing_send_each_reminder_once(reminder_county, engines):
    """Two ``kaoping reminders send`` processes at the same instant: each reminder is
    claimed by one of them (the unique (case, kind, day) and ON CONFLICT DO NOTHING)."""
    env = {**os.environ,
           "SCORING_DATABASE_URL": engines["scoring"].url.render_as_string(hide_password=False),
           "TWILIO_API_BASE_URL": reminder_county["carrier_url"],
           "TWILIO_AUTH_TOKEN": reminder_support.TOKEN,
           "SCORING_PUBLIC_BASE_URL": reminder_county["scoring_url"],
           "INSPECTION_URL": "http://127.0.0.1:9"}
    argv = [sys.executable, "-m", "services.cli", "reminders", "send", "--at",
            "2026-06-17T09:00+08:00", "--json"]
    workers = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]
    rounds = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        rounds.append(json.loads(out))
    cases = sorted(s["case"] for r in rounds for s in r["sent"])
    assert cases == ["instruction:1:T01", "instruction:1:T02", "milestone:KT9:1"]
    bodies = [m.body for m in reminder_county["outbox"].messages.values()]
    assert len(bodies) == 3 and len(set(bodies)) == 3
