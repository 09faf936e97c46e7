"""The reminder tests' county: units with numbers (one opted out), an instruction, a
milestone, June's self-check period, a carrier and the scoring app served over HTTP."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.carrier.app import create_app as create_carrier
from services.carrier.config import DEFAULT_ACCOUNT_SID
from services.scoring.config import SmsSettings
from services.scoring.models.reminders import ReminderMessage
from services.scoring.reminders import Schedule, send_round
from services.scoring.sms import TwilioSms
from shared.db import session_factory
from tests.scoring.scoring_intake_support import seed
from tests.support import serving

TOKEN = "reminder-test-token"
CST = timezone(timedelta(hours=8))
NUMBERS = {"T01": ["13800138001", "+8613800138002"], "T02": ["+8613800138003"]}
ORDERS = [{"id": 7, "unit": "T02", "deadline": "2026-06-21", "state": "open"},
          {"id": 8, "unit": "T01", "deadline": "2026-06-21", "state": "closed"}]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A county time in June 2026 as aware UTC."""
    return datetime(2026, 6, day, hour, minute, tzinfo=CST).astimezone(UTC)


@pytest.fixture
def reminder_county(scoring_client, make_app, auth, engines):
    """Units T01, T02, D001; numbers of T01 (one opted out) and T02; an instruction due
    06-20 (T01 lead, T02 assisting), a milestone of T02 due 06-20, June's self-check due
    07-10; a carrier and the scoring app served over HTTP."""
    planner = seed(scoring_client, auth, scheme=False, year=False)
    assert scoring_client.post("/api/v1/periods", headers=planner, json={
        "code": "2026-06", "deadline": "2026-07-10T15:59:59Z"}).status_code == 201
    assert scoring_client.post("/api/v1/instructions", headers=planner, json={
        "leader": "王县长", "document_no": "批〔2026〕3号", "issued_on": "2026-06-01",
        "title": "河道清淤", "text": "月底前完成", "deadline": "2026-06-20",
        "units": [{"unit": "T01", "role": "lead"},
                  {"unit": "T02", "role": "assisting"}]}).status_code == 201
    assert scoring_client.post("/api/v1/key-tasks", headers=planner, json={
        "code": "KT9", "title_zh": "乡村道路", "title_en": "Roads", "category": "key_task",
        "unit": "T02", "milestones": [{"seq": 1, "due_on": "2026-06-20"}]}).status_code == 201
    ids = []
    for unit, numbers in NUMBERS.items():
        for number in numbers:
            made = scoring_client.post("/api/v1/reminders/contacts", headers=planner,
                                       json={"unit": unit, "number": number, "name": "办公室"})
            assert made.status_code == 201, made.json
            ids.append(made.json["id"])
    assert scoring_client.patch(f"/api/v1/reminders/contacts/{ids[1]}", headers=planner,
                                json={"opted_out": True}).json["opted_out"] is True
    carrier = create_carrier({"ACCOUNTS": {DEFAULT_ACCOUNT_SID: TOKEN}})
    app = scoring_client.application
    with serving(carrier) as carrier_url, serving(app) as scoring_url:
        app.config.update(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=scoring_url)
        vault = app.extensions["phone_vault"]
        sms = TwilioSms(SmsSettings(DEFAULT_ACCOUNT_SID, TOKEN, carrier_url, "+8657100000000",
                                    scoring_url, "", ""))
        factory = session_factory(engines["scoring"])

        def round_at(now):
            return send_round(factory, now, Schedule(days_before=3), vault, sms.send,
                              lambda: ORDERS)

        yield {"round": round_at, "outbox": carrier.extensions["carrier_outbox"],
               "factory": factory, "planner": planner, "client": scoring_client,
               "sms": sms, "vault": vault,
               "carrier_url": carrier_url, "scoring_url": scoring_url}


def wait_for_statuses(factory, wanted: set[str], seconds: float = 10.0) -> list[str]:
    """The messages' statuses once all are in ``wanted`` (or after ``seconds``)."""
    deadline = clock.monotonic() + seconds
    while True:
        with factory() as session:
            statuses = list(session.scalars(select(ReminderMessage.status)
                                            .order_by(ReminderMessage.id)))
        if set(statuses) <= wanted or clock.monotonic() > deadline:
            return statuses
        clock.sleep(0.05)
