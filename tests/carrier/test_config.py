"""The carrier's settings: read from the environment once, when it starts."""

from __future__ import annotations

import json

import pytest

from services.carrier.app import create_app
from services.carrier.config import CarrierSettings, carrier_port, carrier_url
from shared.config import ConfigError


def test_the_carrier_takes_its_settings_from_the_environment(monkeypatch, tmp_path):
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"seed": 11, "rates": {"busy": 0.5}}))
    monkeypatch.setenv("CARRIER_PROFILE", str(profile))
    monkeypatch.setenv("CARRIER_CPS", "5")
    monkeypatch.setenv("CARRIER_MAX_ACTIVE", "3")
    monkeypatch.setenv("CARRIER_TIME_SCALE", "0")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "3" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "carrier-config-token")
    board = create_app().extensions["carrier"]
    assert board.accounts == {"AC" + "3" * 32: "carrier-config-token"}
    assert (board.cps, board.time_scale, board.profile.seed) == (5.0, 0.0, 11)
    assert board.profile.rates.busy == 0.5


def test_its_port_follows_the_survey_port(monkeypatch):
    monkeypatch.delenv("CARRIER_PORT", raising=False)
    monkeypatch.delenv("KAOPING_HOST", raising=False)
    monkeypatch.setenv("SURVEY_PORT", "7001")
    assert carrier_port() == 7009 and carrier_url() == "http://127.0.0.1:7009"
    monkeypatch.setenv("CARRIER_PORT", "7100")
    assert carrier_url() == "http://127.0.0.1:7100"


@pytest.mark.parametrize("name,value", [("CARRIER_CPS", "fast"), ("CARRIER_MAX_ACTIVE", "0"),
                                        ("CARRIER_PROFILE", "/nonexistent/profile.json")])
def test_a_malformed_variable_is_named(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        CarrierSettings.from_env()
