"""Campaigns: validation, roles, frame import (row errors, duplicates, do-not-call,
encryption at rest), state changes, progress and process data; and editing a campaign
after creation (PATCH): partial changes, validation, states, the change log, and the
dialer applying new settings on its next pass."""

from __future__ import annotations

import io
import json
import logging

from sqlalchemy import select

from services.survey.models.polls import Poll
from services.survey.models.telephony import Campaign, PhoneContact
from tests.survey.telephony.phone_support import TOKEN, make_dialer, make_phone_poll

URL = "/api/v1/telephony/campaigns"


def _frame(client, headers, campaign_id, text: str):
    return client.post(f"{URL}/{campaign_id}/frame", headers=headers,
                       data={"file": (io.BytesIO(text.encode()), "frame.csv")})


def test_campaign_lifecycle_and_frame_import(survey_client, survey_app, engines, auth):
    poll_id = make_phone_poll(engines["survey"], ["T01", "T02"])
    planner = auth("planner")
    assert survey_client.post(URL, headers=auth("analyst"), json={}).status_code == 403
    bad = survey_client.post(URL, headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "12", "windows": ["12:00-09:00"],
        "delays": {"sometimes": 5}})
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"windows", "delays", "from_number"}
    created = survey_client.post(URL, headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "0574-88880000"})
    assert created.status_code == 201 and created.json["from_number"] == "+8657488880000"
    assert created.json["windows"] == ["09:00-12:00", "14:00-20:30"]
    campaign_id = created.json["id"]

    rejected = _frame(survey_client, planner, campaign_id,
                      "phone,township\n13900010001,T01\n12345,T01\n13900010002,T09\n")
    assert rejected.status_code == 422
    assert set(rejected.json["errors"]) == {"row 3", "row 4"}
    with survey_app.extensions["kaoping"].sessions() as session:
        assert session.scalars(select(PhoneContact)).all() == []  # all or nothing

    dnc = survey_client.post("/api/v1/telephony/do-not-call", headers=planner,
                             json={"numbers": ["139 0001 0003"]})
    assert dnc.json["imported"] == 1
    first = _frame(survey_client, planner, campaign_id,
                   "phone,township,stratum\n13900010001,T01,A\n+8613900010002,T02,B\n"
                   "13900010003,T02,B\n")
    assert first.json == {"rows": 3, "imported": 2, "duplicates": 0, "do_not_call": 1}
    again = _frame(survey_client, planner, campaign_id, "phone,township\n139-0001-0001,T01\n")
    assert again.json == {"rows": 1, "imported": 0, "duplicates": 1, "do_not_call": 0}
    with survey_app.extensions["kaoping"].sessions() as session:
        stored = session.scalars(select(PhoneContact.number_encrypted)).all()
    assert len(stored) == 2 and not any("1390001" in token for token in stored)

    action = f"{URL}/{campaign_id}"
    assert survey_client.post(f"{action}/pause", headers=planner).status_code == 409
    assert survey_client.post(f"{action}/start", headers=planner).json["state"] == "running"
    assert survey_client.post(f"{action}/pause", headers=planner).json["state"] == "paused"
    assert survey_client.post(f"{action}/resume", headers=planner).json["state"] == "running"
    assert survey_client.post(f"{action}/cancel", headers=planner).json["state"] == "cancelled"
    assert survey_client.post(f"{action}/explode", headers=planner).status_code == 422
    progress = survey_client.get(f"{action}/progress", headers=auth("analyst")).json
    assert [(r["township"], r["cases"], r["unknown"]) for r in progress["townships"]] == [
        ("T01", 1, 1), ("T02", 1, 1)]
    assert "1390001" not in str(progress)
    sheet = survey_client.get(f"{action}/attempts.csv", headers=auth("analyst"))
    assert sheet.status_code == 200 and sheet.mimetype == "text/csv"
    assert sheet.text.lstrip("\ufeff").splitlines()[0].startswith("id,contact_id,township")


def _campaign(client, engines, planner, numbers: int = 0, **settings) -> int:
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    created = client.post(URL, headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000", **settings})
    assert created.status_code == 201, created.json
    if numbers:
        frame = "phone,township\n" + "".join(
            f"1390001{n:04d},T01\n" for n in range(numbers))
        report = client.post(f"{URL}/{created.json['id']}/frame", headers=planner,
                             data={"file": (io.BytesIO(frame.encode()), "f.csv")})
        assert report.json["imported"] == numbers
    return created.json["id"]


def test_patch_changes_only_what_is_sent(survey_client, engines, auth):
    planner = auth("planner")
    campaign_id = _campaign(survey_client, engines, planner)
    path = f"{URL}/{campaign_id}"
    assert survey_client.patch(path, json={"cps": 2}).status_code == 401
    assert survey_client.patch(path, headers=auth("analyst"), json={"cps": 2}).status_code == 403
    assert survey_client.patch(f"{URL}/999", headers=planner, json={"cps": 2}).status_code == 404
    changed = survey_client.patch(path, headers=planner, json={
        "windows": ["08:30-11:30"], "weekdays": [5, 6], "max_attempts": 3,
        "delays": {"busy": 60, "machine": None}, "max_concurrent": 4, "cps": 2.5,
        "voice": "Polly.Joanna", "language": "en", "say_language": "en-US",
        "gather_timeout": 8, "max_tries": 2, "record_calls": True,
        "from_number": "0574-88881111", "name": "renamed"})
    assert changed.status_code == 200, changed.json
    body = survey_client.get(path, headers=auth("analyst")).json
    assert body["windows"] == ["08:30-11:30"] and body["weekdays"] == [5, 6]
    assert body["delays"] == {"no-answer": 3600, "busy": 60, "machine": None, "failed": None,
                              "break-off": 1800, "no-consent": 86400,
                              "canceled": 600}  # merged, not replaced
    assert (body["max_attempts"], body["max_concurrent"], body["cps"]) == (3, 4, 2.5)
    assert (body["voice"], body["language"], body["say_language"]) == (
        "Polly.Joanna", "en", "en-US")
    assert (body["gather_timeout"], body["max_tries"], body["record_calls"]) == (8, 2, True)
    assert body["from_number"] == "+8657488881111" and body["name"] == "renamed"
    assert body["zone"] == "Asia/Shanghai" and body["machine_detection"] is True  # untouched


def test_invalid_or_unknown_fields_are_422_with_the_field(survey_client, engines, auth):
    planner = auth("planner")
    campaign_id = _campaign(survey_client, engines, planner)
    path = f"{URL}/{campaign_id}"
    before = survey_client.get(path, headers=planner).json
    cases = [({"cps": 0}, "cps"), ({"max_concurrent": 0}, "max_concurrent"),
             ({"windows": ["9-12"]}, "windows"), ({"windows": ["12:00-09:00"]}, "windows"),
             ({"weekdays": [7]}, "weekdays"), ({"delays": {"sometimes": 5}}, "delays"),
             ({"from_number": "12"}, "from_number"), ({"zone": "Mars/Base"}, "zone"),
             ({"poll_id": 2}, "poll_id"), ({"frame": "x"}, "frame"),
             ({"state": "running"}, "state"),
             ({"cps": None}, "cps"), ({"record_calls": "maybe"}, "record_calls")]
    for payload, field in cases:
        response = survey_client.patch(path, headers=planner, json=payload)
        assert response.status_code == 422, payload
        errors = response.json["errors"]  # schema errors come under their location
        assert set(errors.get("json", errors)) == {field}, (payload, response.json)
    empty = survey_client.patch(path, headers=planner, json={})
    assert empty.status_code == 422 and "nothing to change" in json.dumps(empty.json)
    # A request with one bad field changes nothing, not even its valid fields.
    mixed = survey_client.patch(path, headers=planner, json={"cps": 3, "windows": ["x"]})
    assert mixed.status_code == 422 and set(mixed.json["errors"]["json"]) == {"windows"}
    assert survey_client.get(path, headers=planner).json == before


def test_states_and_the_caller_id_of_a_running_campaign(survey_client, engines, auth):
    planner = auth("planner")
    campaign_id = _campaign(survey_client, engines, planner)
    path = f"{URL}/{campaign_id}"
    assert survey_client.post(f"{path}/start", headers=planner).json["state"] == "running"
    refused = survey_client.patch(path, headers=planner, json={"from_number": "0574-88882222"})
    assert refused.status_code == 409 and "from_number" in refused.json["errors"]
    running = survey_client.patch(path, headers=planner, json={"max_concurrent": 7})
    assert running.status_code == 200 and running.json["max_concurrent"] == 7
    survey_client.post(f"{path}/pause", headers=planner)
    paused = survey_client.patch(path, headers=planner, json={"from_number": "0574-88882222"})
    assert paused.status_code == 200 and paused.json["from_number"] == "+8657488882222"
    survey_client.post(f"{path}/cancel", headers=planner)
    final = survey_client.patch(path, headers=planner, json={"cps": 2})
    assert final.status_code == 409 and final.json["errors"] == {"state": ["cancelled"]}
    assert survey_client.get(path, headers=planner).json["cps"] == 1.0


def test_every_change_is_logged_with_who_when_and_what(survey_client, engines, auth, caplog):
    planner = auth("planner", sub="li.ming")
    campaign_id = _campaign(survey_client, engines, planner)
    with caplog.at_level(logging.INFO, logger="kaoping.survey.campaigns"):
        survey_client.patch(f"{URL}/{campaign_id}", headers=planner,
                            json={"cps": 3, "max_tries": 3, "stop_at_quota": True})
    (record,) = [r for r in caplog.records if r.name == "kaoping.survey.campaigns"]
    entry = json.loads(record.getMessage())
    assert entry["event"] == "campaign_changed" and entry["campaign_id"] == campaign_id
    assert entry["by"] == "li.ming" and entry["at"].startswith("20")
    # max_tries was 3 already: only what really changed is listed, with old and new.
    assert entry["changes"] == {"cps": [1.0, 3], "stop_at_quota": [False, True]}


def test_the_dialer_claims_by_the_new_settings_on_its_next_pass(make_app, engines, auth):
    app = make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="http://s")
    client, planner = app.test_client(), auth("planner")
    # cps 0.05 with a 120 s lease: at most 3 claimed calls may wait for their slots.
    campaign_id = _campaign(client, engines, planner, numbers=30, cps=0.05,
                            max_concurrent=100)
    client.post(f"{URL}/{campaign_id}/start", headers=planner)
    dialer = make_dialer(app, client=object())
    assert len(dialer.claim(campaign_id)) == 3
    assert dialer.claim(campaign_id) == []
    path = f"{URL}/{campaign_id}"
    assert client.patch(path, headers=planner, json={"cps": 0.2}).status_code == 200
    assert len(dialer.claim(campaign_id)) == 9  # 0.2 × 60 = 12 may wait; 3 already do
    assert client.patch(path, headers=planner, json={"cps": 10, "max_concurrent": 14}
                        ).status_code == 200
    assert len(dialer.claim(campaign_id)) == 2  # 12 in flight, 14 lines
    assert client.patch(path, headers=planner, json={"windows": ["20:00-21:00"]}
                        ).status_code == 200
    assert client.patch(path, headers=planner, json={"max_concurrent": 100}
                        ).status_code == 200
    assert dialer.claim(campaign_id) == []  # 10:00 in Shanghai is outside the new window
    with app.extensions["kaoping"].sessions() as session:
        campaign = session.get(Campaign, campaign_id)
        assert session.get(Poll, campaign.poll_id).stop_at_quota is False


def test_a_retried_creation_makes_one_campaign(survey_client, engines, auth):
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    headers = {**auth("planner"), "Idempotency-Key": "campaign-retry-1"}
    body = {"poll_id": poll_id, "name": "c", "from_number": "+8657488880000"}
    first = survey_client.post(URL, headers=headers, json=body)
    again = survey_client.post(URL, headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    assert len(survey_client.get(URL, headers=auth("planner")).json) == 1
    assert survey_client.post(URL, headers=headers,
                              json={**body, "name": "other"}).status_code == 409
