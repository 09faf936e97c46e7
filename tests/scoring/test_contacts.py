"""The units' reminder numbers: encrypted at rest, managed by planners only, opted
out by the office's flag or a STOP reply (signed webhook)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from twilio.request_validator import RequestValidator

from services.scoring.models.reminders import UnitContact
from tests.scoring import reminder_support
from tests.scoring.reminder_support import TOKEN, at

pytestmark = pytest.mark.commits
reminder_county = reminder_support.reminder_county


def test_a_stop_reply_opts_the_number_out(reminder_county):
    client = reminder_county["client"]
    inbound = client.application.config["PUBLIC_BASE_URL"] + "/api/v1/reminders/inbound"
    form = {"From": "+8613800138003", "To": "+8657100000000", "Body": "TD"}
    signature = RequestValidator(TOKEN).compute_signature(inbound, form)
    reply = client.post("/api/v1/reminders/inbound", data=form,
                        headers={"X-Twilio-Signature": signature})
    assert reply.status_code == 200 and reply.json == {"changed": 1}
    sent = reminder_county["round"](at(17, 9))
    assert [s["messages"] for s in sent.sent] == [["queued"], [], []]
    assert sorted(m.to for m in reminder_county["outbox"].messages.values()) == ["+8613800138001"]


def test_numbers_are_encrypted_and_only_planners_manage_them(reminder_county, auth):
    client, planner = reminder_county["client"], reminder_county["planner"]
    with reminder_county["factory"]() as session:
        stored = session.execute(text("SELECT number_ciphertext, last_digits FROM unit_contacts")
                                 ).all()
        assert all("13800138" not in row[0] for row in stored)
        assert session.scalar(select(UnitContact.last_digits).order_by(UnitContact.id)) == "8001"
    listed = client.get("/api/v1/reminders/contacts?unit=T01", headers=planner).json
    assert [c["last_digits"] for c in listed] == ["8001", "8002"] and "number" not in listed[0]
    bad = client.post("/api/v1/reminders/contacts", headers=planner,
                      json={"unit": "T01", "number": "12345"})
    assert bad.status_code == 422 and "number" in bad.json["errors"]
    again = client.post("/api/v1/reminders/contacts", headers=planner,
                        json={"unit": "T01", "number": "+8613800138001"})
    assert again.status_code == 409
    assert client.get("/api/v1/reminders/contacts",
                      headers=auth("unit", "T01")).status_code == 403
    assert client.get("/api/v1/reminders?unit=T02",
                      headers=auth("unit", "T01")).status_code == 403
