"""The scoring service's settings: read from the environment once, at app start."""

import pytest

from services.scoring.config import ScoringSettings
from shared.config import ConfigError

NAMES = ("SURVEY_URL", "INSPECTION_URL", "SCORING_SOURCE_TIMEOUT", "SCORING_SOURCE_RETRIES",
         "SCORING_DEADLINE_DAYS")


def test_defaults(monkeypatch):
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    assert ScoringSettings.from_env().flask_config() == {
        "SURVEY_URL": "http://127.0.0.1:5001", "INSPECTION_URL": "http://127.0.0.1:5003",
        "SCORING_SOURCE_TIMEOUT": 10.0, "SCORING_SOURCE_RETRIES": 2,
        "SCORING_DEADLINE_DAYS": 10}


def test_the_environment_is_read_under_the_same_names(monkeypatch):
    for name, value in zip(NAMES, ("http://survey:5001", "http://inspection:5003", "2.5", "0",
                                   "3"), strict=True):
        monkeypatch.setenv(name, value)
    settings = ScoringSettings.from_env()
    assert (settings.survey_url, settings.inspection_url, settings.source_timeout_s,
            settings.source_retries, settings.deadline_days) == (
        "http://survey:5001", "http://inspection:5003", 2.5, 0, 3)


@pytest.mark.parametrize("name, value", [("SCORING_SOURCE_TIMEOUT", "soon"),
                                         ("SCORING_SOURCE_RETRIES", "-1"),
                                         ("SCORING_DEADLINE_DAYS", "ten")])
def test_a_bad_value_stops_start_up_naming_it(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        ScoringSettings.from_env()


def test_the_app_reads_the_deadline_once_at_start(make_app, auth, monkeypatch):
    monkeypatch.setenv("SCORING_DEADLINE_DAYS", "3")
    client = make_app("scoring").test_client()
    monkeypatch.setenv("SCORING_DEADLINE_DAYS", "20")  # read at start only: no effect now
    made = client.post("/api/v1/periods", json={"code": "2026-06"}, headers=auth("planner"))
    assert made.status_code == 201, made.json
    # the end of the 3rd day after June, Asia/Shanghai, as UTC
    assert made.json["deadline"] == "2026-07-03T15:59:59+00:00"
