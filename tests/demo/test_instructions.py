"""The demo's instruction step against the served scoring app and the carrier: three
instructions (closed on time, overdue, extended), reminder rounds on chosen instants with
their texts, quiet hours, nothing twice, and the delivery statuses."""

from __future__ import annotations

import pytest

from services.carrier.app import create_app as create_carrier
from services.carrier.config import DEFAULT_ACCOUNT_SID
from services.demo import instructions as step
from services.scoring.config import SmsSettings
from services.scoring.reminders import Schedule, send_round
from services.scoring.sms import TwilioSms
from shared.db import session_factory
from tests.scoring.scoring_intake_support import seed
from tests.support import serving

TOKEN = "demo-sms-token"


@pytest.mark.commits
def test_three_instructions_and_the_reminders(scoring_client, auth, engines, demo_context,
                                              capsys):
    planner = seed(scoring_client, auth, scheme=False, year=False)
    assert scoring_client.post("/api/v1/units", headers=planner, json={
        "code": "T03", "name_zh": "东山乡", "name_en": "Dongshan", "kind": "township",
        "peer_group": "TS", "active_from": "2020-01-01"}).status_code == 201
    app = scoring_client.application
    carrier = create_carrier({"ACCOUNTS": {DEFAULT_ACCOUNT_SID: TOKEN}})
    with serving(carrier) as carrier_url, serving(app) as scoring_url:
        app.config.update(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=scoring_url)
        sms = TwilioSms(SmsSettings(DEFAULT_ACCOUNT_SID, TOKEN, carrier_url, "+8657100000000",
                                    scoring_url, "", ""))
        factory, vault = session_factory(engines["scoring"]), app.extensions["phone_vault"]

        def make_round():
            return lambda now: send_round(factory, now, Schedule(), vault, sms.send, lambda: [])

        ctx = demo_context(scoring=scoring_url)
        ctx.state["townships"] = ["T01", "T02", "T03"]
        step.run(ctx, make_round)
    out = capsys.readouterr().out
    assert "城区河道清淤整治" in out and ": closed," in out
    assert ": open, deadline" in out and "extended from" in out
    assert "overdue list: #2" in out
    assert "(the day after the overdue deadline): 1 reminder(s), 1 of instructions" in out
    assert "T02 overdue: 【县考评办】单位T02：县长批示件“农贸市场环境整治”" in out
    assert "quiet hours, nothing sent" in out
    assert "(the same morning again): 0 reminder(s), 0 of instructions, 1 already sent" in out
    assert "T03 before:" in out and "-> 0 SMS" in out  # T03's number opted out
    assert "delivery (signed status callbacks): delivered 1" in out
    assert ctx.state["instructions"] == [1, 2, 3]
