"""The inspection service's settings: read from the environment once, defaults, refusals,
and what reaches the app (where a test's config still wins)."""

import pytest

from services.inspection.config import InspectionSettings
from shared.config import ConfigError

NAMES = ("INSPECTION_DATABASE_URL", "INSPECTION_EVIDENCE_DIR", "INSPECTION_EVIDENCE_MAX_BYTES",
         "INSPECTION_CHECKIN_MAX_DISTANCE_M", "INSPECTION_CHECKIN_MAX_ACCURACY_M",
         "SCORING_URL", "INSPECTION_SCORING_TIMEOUT_S")


def test_defaults(monkeypatch, tmp_path):
    for name in (*NAMES, "SCORING_PORT", "KAOPING_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAOPING_VAR_DIR", str(tmp_path))
    settings = InspectionSettings.from_env()
    assert settings.database_url == f"sqlite:///{tmp_path / 'inspection.sqlite3'}"
    assert settings.evidence_dir == str(tmp_path / "evidence")
    assert settings.evidence_max_bytes == 25 * 1024 * 1024
    assert (settings.checkin_max_distance_m, settings.checkin_max_accuracy_m) == (500, 100)
    assert settings.scoring_url == "http://127.0.0.1:5002"
    assert settings.scoring_timeout_s == 5


def test_the_environment_is_read_under_its_names(monkeypatch):
    values = {"INSPECTION_DATABASE_URL": "postgresql://k@db/inspection",
              "INSPECTION_EVIDENCE_DIR": "/srv/evidence",
              "INSPECTION_EVIDENCE_MAX_BYTES": "1000",
              "INSPECTION_CHECKIN_MAX_DISTANCE_M": "250.5",
              "INSPECTION_CHECKIN_MAX_ACCURACY_M": "30",
              "SCORING_URL": "http://scoring:5002",
              "INSPECTION_SCORING_TIMEOUT_S": "2.5"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = InspectionSettings.from_env()
    assert settings.database_url == "postgresql+psycopg://k@db/inspection"
    assert (settings.evidence_dir, settings.evidence_max_bytes) == ("/srv/evidence", 1000)
    assert (settings.checkin_max_distance_m, settings.checkin_max_accuracy_m) == (250.5, 30)
    assert (settings.scoring_url, settings.scoring_timeout_s) == ("http://scoring:5002", 2.5)
    config = settings.flask_config()
    assert {name: config[name] for name in NAMES[1:]} == {
        "INSPECTION_EVIDENCE_DIR": "/srv/evidence", "INSPECTION_EVIDENCE_MAX_BYTES": 1000,
        "INSPECTION_CHECKIN_MAX_DISTANCE_M": 250.5, "INSPECTION_CHECKIN_MAX_ACCURACY_M": 30,
        "SCORING_URL": "http://scoring:5002", "INSPECTION_SCORING_TIMEOUT_S": 2.5}


@pytest.mark.parametrize("name, value", [("INSPECTION_EVIDENCE_MAX_BYTES", "0"),
                                         ("INSPECTION_EVIDENCE_MAX_BYTES", "lots"),
                                         ("INSPECTION_CHECKIN_MAX_DISTANCE_M", "far"),
                                         ("INSPECTION_SCORING_TIMEOUT_S", "soon")])
def test_a_bad_value_stops_start_up_naming_it(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        InspectionSettings.from_env()


def test_the_app_runs_on_the_environment_and_a_test_config_wins(monkeypatch, make_app):
    monkeypatch.setenv("INSPECTION_CHECKIN_MAX_DISTANCE_M", "42")
    monkeypatch.setenv("INSPECTION_EVIDENCE_MAX_BYTES", "4096")
    app = make_app("inspection", INSPECTION_EVIDENCE_MAX_BYTES=8192)
    with app.app_context():
        from services.inspection.config import app_settings

        settings = app_settings()
    assert (settings.checkin_max_distance_m, settings.evidence_max_bytes) == (42, 8192)
