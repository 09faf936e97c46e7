"""The processes the survey adds to ``kaoping run``."""

from __future__ import annotations

from services.survey.processes import processes


def test_run_starts_the_carrier_unless_a_real_endpoint_is_configured(monkeypatch):
    monkeypatch.delenv("TWILIO_API_BASE_URL", raising=False)
    monkeypatch.setenv("SURVEY_PORT", "7001")
    monkeypatch.delenv("CARRIER_PORT", raising=False)
    specs = {spec.name: spec for spec in processes()}
    assert specs["carrier"].ready_url == "http://127.0.0.1:7009/healthz"
    assert specs["dialer"].env == {"TWILIO_API_BASE_URL": "http://127.0.0.1:7009"}
    monkeypatch.setenv("TWILIO_API_BASE_URL", "https://api.twilio.com")
    assert [spec.name for spec in processes()] == ["dialer"]
