"""Prompt audio: uploaded WAV or MP3 for a question or an IVR phrase, served publicly to
Twilio, and played instead of the spoken text."""

from __future__ import annotations

import io
import wave

from services.survey.models.telephony import Campaign
from services.survey.questionnaire_document import question_map
from services.survey.telephony.ivr import Ivr
from services.survey.telephony.webhooks import voice_of
from tests.survey.telephony.phone_support import make_phone_poll

URL = "/api/v1/telephony/campaigns"


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
