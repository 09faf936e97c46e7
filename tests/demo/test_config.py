"""The demo's settings: where the services are, the token key, the portal's database."""

from services.demo.config import DemoSettings


def test_the_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("KAOPING_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SCORING_URL", "http://scoring:5002")
    monkeypatch.setenv("SURVEY_PORT", "6001")
    monkeypatch.delenv("SURVEY_URL", raising=False)
    monkeypatch.setenv("KAOPING_JWT_SECRET", "k" * 40)
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql://k@db/portal")
    settings = DemoSettings.from_env()
    assert settings.urls["scoring"] == "http://scoring:5002"
    assert settings.urls["survey"] == "http://127.0.0.1:6001"
    assert set(settings.urls) == {"survey", "scoring", "inspection", "portal"}
    assert settings.jwt_secret == "k" * 40
    assert settings.portal_database_url == "postgresql+psycopg://k@db/portal"
    assert settings.out_dir == tmp_path / "demo"
    assert DemoSettings.from_env(tmp_path / "elsewhere").out_dir == tmp_path / "elsewhere"
