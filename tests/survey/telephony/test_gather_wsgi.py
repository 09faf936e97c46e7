"""The lean WSGI path of the keypad answer answers and stores exactly what the Flask view
answers and stores, and hands everything else to the app."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.test import Client

from services.survey.telephony.gather_wsgi import DECLINED, DirectGather
from shared.metrics import request_metrics
from tests.survey.telephony.phone_support import TOKEN
from tests.survey.telephony.test_keypad_answers import (
    PUBLIC,
    SCRIPT,
    attempts,  # noqa: F401 (fixture)
    normalised,
    sid,
    stored,
)

__all__ = ["attempts"]


@pytest.fixture
def apps(make_app):
    """The service with the lean path in front (as deployed) and with the view's own
    direct path only (the previous implementation)."""
    return (make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC),
            make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC,
                     TELEPHONY_LEAN_GATHER=False))


class Recorder:
    """The Flask app behind the lean path, noting which requests reached it."""

    def __init__(self, wrapped) -> None:
        self.wrapped, self.seen = wrapped, []

    def __call__(self, environ, start_response):
        self.seen.append((environ["PATH_INFO"], bool(environ.get(DECLINED))))
        return self.wrapped(environ, start_response)


def lean_client(app) -> tuple[Client, Recorder]:
    """A client of a lean path in front of ``app``'s Flask ``wsgi_app``."""
    assert isinstance(app.wsgi_app, DirectGather)
    recorder = Recorder(app.wsgi_app.wrapped)
    return Client(DirectGather(app, recorder)), recorder


def post(client, attempt_id: int, step: str, qid: str | None, digits: str, tries: int,
         signature: str | None = None, request_id: str | None = None):
    path = f"/api/v1/telephony/voice/{step}?attempt={attempt_id}" + (
        f"&q={qid}" if qid else "") + f"&tries={tries}"
    params = {"CallSid": sid(attempt_id), "Digits": digits, "CallStatus": "in-progress"}
    headers = {"X-Twilio-Signature": signature if signature is not None else
               RequestValidator(TOKEN).compute_signature(PUBLIC + path, params)}
    if request_id:
        headers["X-Request-ID"] = request_id
    return client.post(path, data=params, headers=headers)


def answered(response, attempt_id: int) -> tuple:
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"]
    return (response.status_code, response.headers["Content-Type"],
            sorted(k for k in response.headers.keys() if k != "X-Request-ID"),
            normalised(response.text, attempt_id))


def test_the_lean_path_answers_and_stores_what_the_view_does(apps, attempts):  # noqa: F811
    lean, view = apps
    client, recorder = lean_client(lean)
    replies = {}
    for name, app_client, attempt_id in (("lean", client, attempts[0]),
                                         ("view", view.test_client(), attempts[1])):
        replies[name] = [answered(post(app_client, attempt_id, *step), attempt_id)
                         for step in SCRIPT]
        # every request again: a replay answers the same and stores nothing more
        again = [answered(post(app_client, attempt_id, *step), attempt_id) for step in SCRIPT]
        assert again == replies[name]
    assert replies["lean"] == replies["view"]
    assert stored(lean, attempts[0]) == stored(view, attempts[1])
    assert stored(lean, attempts[0])["answers"] == {
        "sat": 2, "score": 4, "problem": 1, "solved": 2, "years": 12}
    # the lean path answered the keypad answers itself: only the consent (twice) and the
    # wrong key (a re-prompt, given way on and marked so) reached Flask; the wrong key's
    # replay was answered from its record by the lean path
    questions = [seen for seen in recorder.seen if seen[0].endswith("/question")]
    assert len(recorder.seen) - len(questions) == 2
    assert questions == [("/api/v1/telephony/voice/question", True)]


def test_the_lean_path_echoes_the_request_id_and_counts_the_request(apps, attempts):  # noqa: F811
    lean = apps[0]
    client, recorder = lean_client(lean)
    attempt_id = attempts[0]
    post(client, attempt_id, "consent", None, "1", 1)
    metrics = request_metrics(lean)
    counted = metrics.answered.labels("telephony-voice.VoiceQuestion", "POST", "200")
    before = counted._value.get()
    response = post(client, attempt_id, "question", "sat", "1", 1, request_id="abc-123")
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "abc-123"
    assert counted._value.get() == before + 1
    assert [seen for seen in recorder.seen if seen[0].endswith("/question")] == []
    fresh = post(client, attempt_id, "question", "sat", "1", 1, request_id="bad id!")
    assert fresh.headers["X-Request-ID"] != "bad id!" and len(fresh.headers["X-Request-ID"]) == 32


def test_a_bad_signature_is_refused_by_the_app_and_stores_nothing(apps, attempts):  # noqa: F811
    lean = apps[0]
    client, recorder = lean_client(lean)
    attempt_id = attempts[0]
    post(client, attempt_id, "consent", None, "1", 1)
    for signature in ("", "bm90IGEgc2lnbmF0dXJl"):
        response = post(client, attempt_id, "question", "sat", "1", 1, signature=signature)
        assert response.status_code == 403
    assert stored(lean, attempt_id)["answers"] == {}
    assert [seen for seen in recorder.seen if seen[0].endswith("/question")] == [
        ("/api/v1/telephony/voice/question", False)] * 2


def test_other_requests_go_to_the_app_untouched(apps, attempts):  # noqa: F811
    lean = apps[0]
    client, recorder = lean_client(lean)
    attempt_id = attempts[0]
    post(client, attempt_id, "consent", None, "1", 1)
    path = f"/api/v1/telephony/voice/question?attempt={attempt_id}&q=sat&tries=1"
    params = {"CallSid": sid(attempt_id), "Digits": "1"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, params)
    # a JSON body and a bad attempt number: the app answers as it always did
    as_json = client.post(path, json=params, headers={"X-Twilio-Signature": signature})
    bad = path.replace(f"attempt={attempt_id}", "attempt=x")
    bad_attempt = client.post(bad, data=params, headers={
        "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(PUBLIC + bad, params)})
    view = apps[1].test_client()
    assert as_json.status_code == view.post(path, json=params, headers={
        "X-Twilio-Signature": signature}).status_code
    assert bad_attempt.status_code == 422 and bad_attempt.json["message"] == "Bad webhook URL"
    assert [seen for seen in recorder.seen if seen[0].endswith("/question")] == [
        ("/api/v1/telephony/voice/question", False)] * 2
    assert stored(lean, attempt_id)["answers"] == {}
    # and then the answer itself is stored once, by the lean path
    assert post(client, attempt_id, "question", "sat", "1", 1).status_code == 200
    assert stored(lean, attempt_id)["answers"] == {"sat": 1}


def test_the_held_connection_is_reused_and_replaced_when_it_breaks(apps, attempts,  # noqa: F811
                                                                    engines):
    """PostgreSQL: each server thread keeps one connection in autocommit for the lean
    path; when its server process is ended, the request still gets its answer (the app
    answers it) and the next one holds a fresh connection."""
    import psycopg

    from services.survey.telephony import keypad_answers

    if engines["survey"].dialect.name != "postgresql":
        pytest.skip("the held connection is PostgreSQL's")
    lean = apps[0]
    client, recorder = lean_client(lean)
    first, second = attempts
    for attempt_id in attempts:
        post(client, attempt_id, "consent", None, "1", 1)
    assert post(client, first, "question", "sat", "1", 1).status_code == 200
    held = keypad_answers._held.connection
    driver = held.connection.driver_connection
    assert driver.autocommit is True
    backend = driver.info.backend_pid
    assert post(client, first, "question", "score", "4", 1).status_code == 200
    assert keypad_answers._held.connection is held  # reused, not checked in between
    plain = engines["survey"].url.set(drivername="postgresql").render_as_string(
        hide_password=False)
    with psycopg.connect(plain, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    seen = len(recorder.seen)
    response = post(client, second, "question", "sat", "2", 1)
    assert response.status_code == 200 and "q=score" in response.text
    assert len(recorder.seen) == seen + 1  # the app answered it
    assert stored(lean, second)["answers"] == {"sat": 2}
    assert post(client, second, "question", "score", "3", 1).status_code == 200
    renewed = keypad_answers._held.connection
    assert len(recorder.seen) == seen + 1 and renewed is not held
    assert renewed.connection.driver_connection.info.backend_pid != backend
    assert stored(lean, second)["answers"] == {"sat": 2, "score": 3}
    keypad_answers._release_held()


def test_a_thread_that_ends_gives_its_connection_back_out_of_autocommit(apps, attempts,  # noqa: F811
                                                                         engines):
    """PostgreSQL: a server thread that ends (a thread-per-request server) leaves its
    held connection to the collector; back in the pool it is not in autocommit."""
    import gc
    import threading

    if engines["survey"].dialect.name != "postgresql":
        pytest.skip("the held connection is PostgreSQL's")
    lean = apps[0]
    client, _recorder = lean_client(lean)
    attempt_id = attempts[0]
    post(client, attempt_id, "consent", None, "1", 1)
    seen = {}

    def answer():
        from services.survey.telephony import keypad_answers

        seen["status"] = post(client, attempt_id, "question", "sat", "1", 1).status_code
        seen["driver"] = keypad_answers._held.connection.connection.driver_connection

    thread = threading.Thread(target=answer)
    thread.start()
    thread.join()
    gc.collect()
    assert seen["status"] == 200 and seen["driver"].autocommit is False
