"""No Docker engine runs here, so the compose file and gateway are checked as data."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"survey": 5001, "scoring": 5002, "inspection": 5003}
ALL = {**SERVICES, "portal": 5004}


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_postgres_16_with_healthcheck_and_init_script():
    postgres = _compose()["services"]["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    init = [v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert init
    sql = (ROOT / init[0].split(":")[0]).read_text()
    for service in ALL:
        assert f"CREATE DATABASE kaoping_{service};" in sql


def test_services_have_http_healthchecks_and_wait_for_healthy_dependencies():
    services = _compose()["services"]
    for name, port in ALL.items():
        service = services[name]
        assert f"127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["environment"][f"{name.upper()}_DATABASE_URL"].startswith("postgresql://")
    assert services["dialer"]["command"] == ["kaoping", "dialer"]
    assert services["dialer"]["depends_on"]["survey"]["condition"] == "service_healthy"
    for name in ALL:
        assert services["gateway"]["depends_on"][name]["condition"] == "service_healthy"


def test_secrets_are_required_never_defaulted():
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "KAOPING_JWT_SECRET", "TWILIO_AUTH_TOKEN",
                   "SURVEY_PHONE_KEYS", "PORTAL_SECRET_KEY"):
        assert re.search(r"\$\{" + secret + r":\?", text), secret
        assert not re.search(r"\$\{" + secret + r":-", text), secret
    assert not re.search(r"(PASSWORD|SECRET|TOKEN|KEYS?):\s+['\"]?[A-Za-z0-9]{8,}", text)


def test_gateway_routes_each_prefix_to_its_service_only_on_loopback():
    compose = _compose()
    gateway = compose["services"]["gateway"]
    assert all(p.startswith("127.0.0.1:") for p in gateway["ports"])
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    for name, port in SERVICES.items():
        assert re.search(rf"upstream {name} {{ server {name}:{port}; }}", nginx)
        block = re.search(rf"location /{name}/ {{(.*?)}}", nginx, re.S).group(1)
        assert f"proxy_pass http://{name}/;" in block
        assert f"X-Forwarded-Prefix /{name};" in block
    assert "upstream portal { server portal:5004; }" in nginx
    root = re.search(r"location / {(.*?)}", nginx, re.S).group(1)
    assert "proxy_pass http://portal;" in root and "X-Forwarded-For" in root


def test_image_builds_from_the_repo_root_and_migrates_before_gunicorn():
    compose = _compose()
    for name in ALL:
        assert compose["services"][name]["build"] == "."
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY services ./services" in dockerfile and "USER kaoping" in dockerfile
    assert "fonts-noto-cjk" in dockerfile
    entry = (ROOT / "deploy" / "entrypoint.sh").read_text()
    assert entry.index("upgrade(engine") < entry.rindex("exec gunicorn -c")


def test_forwarded_prefix_is_honoured_behind_the_gateway(make_app, monkeypatch):
    monkeypatch.setenv("KAOPING_BEHIND_PROXY", "true")
    client = make_app("survey").test_client()
    page = client.get("/docs", headers={"X-Forwarded-Prefix": "/survey"}).get_data(as_text=True)
    assert "/survey/openapi.json" in page


def _prometheus_config():
    return yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())


def test_prometheus_scrapes_every_service_and_the_dialer_with_the_metrics_token():
    compose = _compose()
    prometheus = compose["services"]["prometheus"]
    assert prometheus["image"].startswith("prom/prometheus:")
    assert all(p.startswith("127.0.0.1:") for p in prometheus["ports"])
    mounts = {v.split(":")[1]: v.split(":")[0] for v in prometheus["volumes"]}
    config_file = next(a.split("=", 1)[1] for a in prometheus["command"]
                       if a.startswith("--config.file="))
    assert (ROOT / mounts[config_file]).resolve() == ROOT / "deploy" / "prometheus.yml"
    assert prometheus["secrets"] == ["metrics_token"]
    assert compose["secrets"]["metrics_token"] == {"environment": "KAOPING_METRICS_TOKEN"}
    jobs = {job["job_name"]: job for job in _prometheus_config()["scrape_configs"]}
    dialer_port = compose["services"]["dialer"]["environment"]["DIALER_METRICS_PORT"]
    expected = {**{name: f"{name}:{port}" for name, port in SERVICES.items()},
                "dialer": f"dialer:{dialer_port}"}
    assert {name: job["static_configs"][0]["targets"] for name, job in jobs.items()} == {
        name: [target] for name, target in expected.items()}
    for job in jobs.values():
        assert job.get("metrics_path", "/metrics") == "/metrics"
        assert job["authorization"]["credentials_file"] == "/run/secrets/metrics_token"


def test_every_scraped_process_knows_the_metrics_token():
    text = (ROOT / "docker-compose.yml").read_text()
    assert re.search(r"KAOPING_METRICS_TOKEN: \$\{KAOPING_METRICS_TOKEN:\?", text)
    services = _compose()["services"]
    for name in (*SERVICES, "dialer"):
        assert services[name]["environment"]["KAOPING_METRICS_TOKEN"].startswith(
            "${KAOPING_METRICS_TOKEN:?")
        assert services[name]["environment"]["KAOPING_HOST"] == "0.0.0.0"


def _nginx_locations() -> list[tuple[str, str, str]]:
    """(modifier, pattern, body) of every location block of the gateway."""
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    return re.findall(r"location\s+(~\*?|=)?\s*(\S+)\s*\{(.*?)\}", nginx, re.S)


def _gateway_location(path: str) -> str:
    """nginx's choice for ``path``: an exact match, else the first matching regex, else
    the longest matching prefix."""
    locations = _nginx_locations()
    for modifier, pattern, body in locations:
        if modifier == "=" and pattern == path:
            return body
    for modifier, pattern, body in locations:
        if modifier.startswith("~") and re.search(pattern, path):
            return body
    prefixes = [(p, b) for m, p, b in locations if not m and path.startswith(p)]
    return max(prefixes, key=lambda pair: len(pair[0]))[1] if prefixes else ""


def test_the_gateway_never_relays_metrics():
    for name in SERVICES:
        for path in (f"/{name}/metrics", f"/{name}/metrics/"):
            assert "deny all;" in _gateway_location(path), path
            assert "proxy_pass" not in _gateway_location(path), path
    # A resource that happens to be called metrics is still routed.
    assert "proxy_pass http://scoring/;" in _gateway_location("/scoring/api/v1/key-tasks/metrics")
    assert "proxy_pass http://survey/;" in _gateway_location("/survey/healthz")
