"""``kaoping dialer --once``, ``kaoping survey rotate-phone-keys``, and the processes
``kaoping run`` starts."""

from __future__ import annotations

import io

from cryptography.fernet import Fernet
from sqlalchemy import select

from services.cli import main
from services.survey.models.telephony import PhoneContact
from services.survey.processes import processes
from services.survey.telephony.vault import PhoneVault
from tests.survey.telephony.phone_support import make_phone_poll


def test_rotate_phone_keys_re_encrypts_with_the_first_key(monkeypatch, make_app, engines, auth,
                                                          capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("SURVEY_PHONE_KEYS", old)
    monkeypatch.setenv("SURVEY_PHONE_HASH_KEY", "cli-hash-key")
    monkeypatch.setenv("SURVEY_DATABASE_URL",
                       engines["survey"].url.render_as_string(hide_password=False))
    app = make_app("survey")
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    client, planner = app.test_client(), auth("planner")
    campaign = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000"}).json
    client.post(f"/api/v1/telephony/campaigns/{campaign['id']}/frame", headers=planner,
                data={"file": (io.BytesIO(b"phone,township\n13900010001,T01\n"), "f.csv")})
    monkeypatch.setenv("SURVEY_PHONE_KEYS", f"{new},{old}")
    assert main(["survey", "rotate-phone-keys"]) == 0
    assert "re-encrypted 1 numbers" in capsys.readouterr().out
    with app.extensions["kaoping"].sessions() as session:
        token = session.scalar(select(PhoneContact.number_encrypted))
    assert PhoneVault([new], "cli-hash-key").decrypt(token) == "+8613900010001"
    assert main(["dialer", "--once"]) == 0  # the campaign is a draft: nothing to place
    assert "placed 0 calls" in capsys.readouterr().out


def test_run_starts_the_carrier_unless_a_real_endpoint_is_configured(monkeypatch):
    monkeypatch.delenv("TWILIO_API_BASE_URL", raising=False)
    monkeypatch.setenv("SURVEY_PORT", "7001")
    monkeypatch.delenv("CARRIER_PORT", raising=False)
    specs = {spec.name: spec for spec in processes()}
    assert specs["carrier"].ready_url == "http://127.0.0.1:7009/healthz"
    assert specs["dialer"].env == {"TWILIO_API_BASE_URL": "http://127.0.0.1:7009"}
    monkeypatch.setenv("TWILIO_API_BASE_URL", "https://api.twilio.com")
    assert [spec.name for spec in processes()] == ["dialer"]
