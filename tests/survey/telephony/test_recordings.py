"""Recording retention: past the campaign's ``recording_retention_days`` a recording's URL
goes, and so does the voice answer's reference to it (its duration and RecordingSid
stay, so the answer still counts as given); through the API and the command too."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from services.cli import main
from services.survey.models.interviews import Answer
from services.survey.models.telephony import Recording
from services.survey.telephony.recordings import purge_expired
from tests.survey.telephony.phone_support import call_params, signed

MEDIA = "https://carrier.example/Recordings/RE5"


def _record_advice(app, attempt: int) -> None:
    client = app.test_client()
    signed(client, f"/api/v1/telephony/voice/consent?attempt={attempt}&tries=1",
           call_params(Digits="1"))
    question = f"/api/v1/telephony/voice/question?attempt={attempt}"
    for qid, digits in (("sat", "1"), ("score", "5"), ("problem", "2"), ("years", "12#")):
        signed(client, f"{question}&q={qid}&tries=1", call_params(Digits=digits))
    signed(client, f"/api/v1/telephony/voice/recorded?attempt={attempt}&q=advice",
           call_params(RecordingUrl=MEDIA, RecordingSid="RE5", RecordingDuration="8"))


def test_a_recording_past_its_retention_loses_its_url_and_the_answer_keeps_the_rest(
        app, attempt):
    _record_advice(app, attempt)
    sessions = app.extensions["kaoping"].sessions
    with sessions() as session:
        created = session.scalar(select(Recording.created_at))
        assert purge_expired(session, created + timedelta(days=89)) == 0
        assert purge_expired(session, created + timedelta(days=90)) == 1
        session.commit()
    with sessions() as session:
        recording = session.scalars(select(Recording)).one()
        assert recording.url is None and recording.purged_at is not None
        advice = session.scalar(select(Answer.value).where(Answer.question_id == "advice"))
        assert advice["recording_sid"] == "RE5" and advice["duration"] == 8
        assert "recording_url" not in advice and MEDIA not in str(advice)
        assert purge_expired(session, created + timedelta(days=400)) == 0  # once only


def test_the_api_and_the_command_purge_what_is_due(app, attempt, auth, engines, monkeypatch,
                                                   capsys):
    _record_advice(app, attempt)
    client, planner = app.test_client(), auth("planner")
    assert client.post("/api/v1/telephony/recordings/purge", headers=planner).json == {
        "purged": 0}                                     # 90 days of retention
    assert client.post("/api/v1/telephony/recordings/purge",
                       headers=auth("analyst")).status_code == 403
    with app.extensions["kaoping"].sessions() as session:
        session.scalars(select(Recording)).one().created_at -= timedelta(days=91)
        session.commit()
    monkeypatch.setenv("SURVEY_DATABASE_URL",
                       engines["survey"].url.render_as_string(hide_password=False))
    assert main(["survey", "purge-recordings"]) == 0
    assert "purged 1 recordings" in capsys.readouterr().out
    assert client.post("/api/v1/telephony/recordings/purge", headers=planner).json == {
        "purged": 0}
