"""Campaign API: validation, roles, frame import (row errors, duplicates, do-not-call,
encryption at rest), state changes."""

from __future__ import annotations

import io
import wave

from sqlalchemy import select

from services.survey.models.telephony import Campaign, PhoneContact
from services.survey.questionnaire_document import question_map
from services.survey.telephony.ivr import Ivr
from services.survey.telephony.webhooks import voice_of
from tests.survey.telephony.phone_support import make_phone_poll

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


def _wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 800)
    return buffer.getvalue()


def test_uploaded_prompt_is_played_instead_of_said(make_app, engines, auth):
    app = make_app("survey", PUBLIC_BASE_URL="https://survey.example.org")
    client, planner = app.test_client(), auth("planner")
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    campaign_id = client.post(URL, headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000"}).json["id"]
    path = f"{URL}/{campaign_id}/prompts"
    put = client.put(f"{path}/sat", headers=planner,
                     data={"file": (io.BytesIO(_wav()), "sat.wav")})
    assert put.status_code == 200, put.json
    assert put.json["prompts"] == {
        "sat": f"https://survey.example.org{path}/sat"}
    assert client.put(f"{path}/sat", headers=planner, data={
        "file": (io.BytesIO(b"not audio"), "x.wav")}).status_code == 422
    assert client.put(f"{path}/nope", headers=planner, data={
        "file": (io.BytesIO(_wav()), "x.wav")}).status_code == 422
    audio = client.get(f"{path}/sat")  # no token: Twilio fetches it
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    assert audio.data[:4] == b"RIFF"
    assert client.get(f"{path}/thanks").status_code == 404
    with app.extensions["kaoping"].sessions() as session:
        campaign = session.get(Campaign, campaign_id)
        question = question_map(campaign.poll.questionnaire.document)["sat"]
        twiml = Ivr(voice_of(campaign), lambda step, **p: "https://x").question(1, question)
    assert f"<Play>https://survey.example.org{path}/sat</Play>" in twiml and "<Say" not in twiml
