"""The dialer's metrics move when it claims and places calls against the simulated
carrier: in process, and from the real ``kaoping dialer`` on its metrics port."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time

import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from services.survey.models.telephony import Campaign
from services.survey.telephony.dialer_metrics import dialer_registry, serve_metrics
from shared.metrics import scrape_app
from tests.survey.telephony.phone_support import (
    TOKEN,
    frame_csv,
    make_dialer,
    make_phone_poll,
    phone_stack,
    run_campaign,
)

CLAIMS = "kaoping_dialer_claims_total"
PLACED = "kaoping_dialer_calls_placed_total"
IN_FLIGHT = "kaoping_dialer_calls_in_flight"


def value(text: str, name: str, campaign: int) -> float:
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == name and sample.labels.get("campaign") == str(campaign))


def scrape(url: str) -> str:
    response = requests.get(f"{url}/metrics", timeout=5)
    assert response.status_code == 200, response.text
    return response.text


def _campaign(app, engines, auth, per_township: int, **settings) -> int:
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    client, planner = app.test_client(), auth("planner")
    campaign = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000",
        "max_attempts": 2, "delays": {"no-answer": 0, "busy": 0, "machine": 0,
                                      "break-off": 0}, **settings})
    assert campaign.status_code == 201, campaign.json
    campaign_id = campaign.json["id"]
    frame = client.post(f"/api/v1/telephony/campaigns/{campaign_id}/frame", headers=planner,
                        data={"file": (io.BytesIO(frame_csv(["T01"], per_township)), "f.csv")})
    assert frame.status_code == 200, frame.json
    client.post(f"/api/v1/telephony/campaigns/{campaign_id}/start", headers=planner)
    return campaign_id


def test_claims_calls_placed_and_calls_in_flight_move_with_the_dialer(make_app, engines, auth):
    profile = {"seed": 5, "rates": {"failed": 0.0}}
    with phone_stack(make_app, profile=profile, townships=["T01"]) as (_url, app, board):
        campaign_id = _campaign(app, engines, auth, 12, cps=20, max_concurrent=10)
        sessions = app.extensions["kaoping"].sessions
        server = serve_metrics(sessions, "127.0.0.1", 0, "")
        url = f"http://127.0.0.1:{server.server_port}"
        try:
            before = scrape(url)
            dialer = make_dialer(app, batch=5)
            claimed = dialer.claim(campaign_id)
            assert len(claimed) == 5
            claimed_text = scrape(url)
            assert value(claimed_text, CLAIMS, campaign_id) - value(before, CLAIMS,
                                                                    campaign_id) == 5
            assert value(claimed_text, IN_FLIGHT, campaign_id) == 5
            for attempt_id in claimed:
                dialer.place(attempt_id)
            run_campaign(dialer, board, campaign_id)
            after = scrape(url)
        finally:
            server.shutdown()
            server.server_close()
        calls = len(board.calls)
    assert calls >= 12  # every case once, some twice (max_attempts 2)
    assert value(after, PLACED, campaign_id) - value(before, PLACED, campaign_id) == calls
    assert value(after, CLAIMS, campaign_id) - value(before, CLAIMS, campaign_id) == calls
    assert value(after, IN_FLIGHT, campaign_id) == 0


def test_the_dialer_metrics_follow_the_services_access_rule(make_app):
    app = make_app("survey")
    client = scrape_app("dialer", dialer_registry(app.extensions["kaoping"].sessions),
                        "dialer-token").test_client()
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/metrics").status_code == 200
    refused = client.get("/metrics", environ_base=remote)
    assert refused.status_code == 401 and refused.json["code"] == 401
    assert client.get("/metrics", environ_base=remote,
                      headers={"Authorization": "Bearer dialer-token"}).status_code == 200
    assert client.get("/anything-else", environ_base=remote).status_code == 401


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_kaoping_dialer_serves_its_metrics_on_its_port(make_app, engines, auth):
    profile = {"seed": 9, "rates": {"failed": 0.0}}
    with phone_stack(make_app, profile=profile, cps=20.0, townships=["T01"]) as (url, app,
                                                                                 board):
        campaign_id = _campaign(app, engines, auth, 10, cps=10, max_concurrent=6,
                                windows=["00:00-24:00"], weekdays=list(range(7)))
        port = _free_port()
        env = {**os.environ, "SURVEY_DATABASE_URL":
               engines["survey"].url.render_as_string(hide_password=False),
               "TWILIO_ACCOUNT_SID": app.config["TWILIO_ACCOUNT_SID"],
               "TWILIO_AUTH_TOKEN": TOKEN,
               "TWILIO_API_BASE_URL": app.config["TWILIO_API_BASE_URL"],
               "PUBLIC_BASE_URL": url, "DIALER_METRICS_PORT": str(port)}
        dialer = subprocess.Popen([sys.executable, "-m", "services.cli", "dialer",
                                   "--interval", "0.1"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sessions = app.extensions["kaoping"].sessions
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with sessions() as session:
                    if session.scalar(select(Campaign.state).where(
                            Campaign.id == campaign_id)) == "finished":
                        break
                time.sleep(0.2)
            board.wait_idle(10)
            text = scrape(f"http://127.0.0.1:{port}")
        finally:
            dialer.terminate()
            dialer.wait(10)
        calls = len(board.calls)
    assert calls >= 10
    assert value(text, PLACED, campaign_id) == calls
    assert value(text, CLAIMS, campaign_id) == calls
    assert value(text, IN_FLIGHT, campaign_id) == 0
