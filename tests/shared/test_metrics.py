"""``GET /metrics``: request counts and latencies per endpoint and status, who may scrape,
and the sums over gunicorn workers (multiprocess mode)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support import serving

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("survey", "scoring", "inspection")
REQUESTS = "kaoping_http_requests_total"
LATENCY = "kaoping_http_request_duration_seconds"
METRICS_TOKEN = "metrics-token-for-tests"


def samples(text: str) -> list:
    """Every sample of a Prometheus text exposition."""
    return [sample for family in text_string_to_metric_families(text)
            for sample in family.samples]


def label_values(text: str) -> set[str]:
    return {v for sample in samples(text) for v in sample.labels.values()}


def value(text: str, name: str, **labels) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels``."""
    return sum(s.value for s in samples(text)
               if s.name == name and labels.items() <= s.labels.items())


def scrape(client, **kwargs) -> str:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_json()
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return response.get_data(as_text=True)


@pytest.mark.parametrize("service", SERVICES)
def test_requests_are_counted_and_timed_per_endpoint_and_status(make_app, auth, service):
    app = make_app(service)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/whoami", headers=auth("analyst")).status_code == 200
    assert client.get("/api/v1/whoami").status_code == 401
    assert client.get("/no/such/page-4711").status_code == 404
    text = scrape(client)
    assert value(text, REQUESTS, endpoint="health.healthz", method="GET", status="200") == 3
    assert value(text, REQUESTS, endpoint="whoami.WhoAmI", status="200") == 1
    assert value(text, REQUESTS, endpoint="whoami.WhoAmI", status="401") == 1
    assert value(text, REQUESTS, endpoint="unmatched", status="404") == 1
    assert value(text, LATENCY + "_count", endpoint="health.healthz", status="200") == 3
    assert value(text, LATENCY + "_bucket", endpoint="health.healthz", le="+Inf") == 3
    assert value(text, LATENCY + "_sum", endpoint="health.healthz") > 0
    # Labels are view names, never raw paths: the number of series stays bounded.
    endpoints = {s.labels["endpoint"] for s in samples(text) if "endpoint" in s.labels}
    assert endpoints <= set(app.view_functions) | {"unmatched"}
    assert not any("4711" in label for label in label_values(text))
    # The scrape itself is counted by the next one, and nothing is in progress between.
    later = scrape(client)
    assert value(later, REQUESTS, endpoint="metrics.metrics", status="200") == 1
    assert value(later, "kaoping_http_requests_in_progress") == 1  # the scrape itself


def test_path_parameters_and_odd_methods_do_not_make_series(scoring_client, auth):
    planner = auth("planner")
    for code in ("GROUP-A-9001", "GROUP-B-9002", "GROUP-C-9003"):
        assert scoring_client.get(f"/api/v1/peer-groups/{code}",
                                  headers=planner).status_code == 404
    assert scoring_client.open("/healthz", method="BREW").status_code == 405
    text = scrape(scoring_client)
    assert value(text, REQUESTS, endpoint="registry.PeerGroupByCode", status="404") == 3
    assert value(text, REQUESTS, method="other", status="405") == 1
    assert not any("GROUP-" in label or "BREW" in label for label in label_values(text))


def test_latency_buckets_are_cumulative(scoring_client):
    for _ in range(5):
        scoring_client.get("/healthz")
    text = scrape(scoring_client)
    buckets = sorted((float(s.labels["le"]), s.value) for s in samples(text)
                      if s.name == LATENCY + "_bucket"
                      and s.labels["endpoint"] == "health.healthz")
    counts = [count for _le, count in buckets]
    assert counts == sorted(counts) and counts[-1] == 5 and buckets[-1][0] == float("inf")


@pytest.mark.parametrize("service", SERVICES)
def test_metrics_stay_out_of_the_openapi_document(make_app, service):
    spec = make_app(service).test_client().get("/openapi.json").get_json()
    assert "/metrics" not in spec["paths"]  # (scoring's /api/v1/key-tasks/metrics is data)


def test_a_loopback_peer_scrapes_without_a_token_over_real_http(make_app):
    with serving(make_app("inspection")) as url:
        requests.get(f"{url}/healthz", timeout=5)
        response = requests.get(f"{url}/metrics", timeout=5)
    assert response.status_code == 200
    assert value(response.text, REQUESTS, endpoint="health.healthz") == 1


@pytest.mark.parametrize("address", ["::1", "127.0.0.2", "::ffff:127.0.0.1"])
def test_every_loopback_address_counts_as_local(survey_client, address):
    scrape(survey_client, environ_base={"REMOTE_ADDR": address})


def test_without_a_configured_token_other_peers_are_refused(survey_client):
    response = survey_client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"},
                                 headers={"Authorization": "Bearer anything"})
    assert response.status_code == 403
    body = response.get_json()
    assert body["code"] == 403 and "KAOPING_METRICS_TOKEN" in body["message"]


def test_other_peers_need_the_metrics_token(make_app, auth):
    client = make_app("scoring", METRICS_TOKEN=METRICS_TOKEN).test_client()
    remote = {"REMOTE_ADDR": "192.0.2.7"}
    missing = client.get("/metrics", environ_base=remote)
    assert missing.status_code == 401 and "KAOPING_METRICS_TOKEN" in missing.json["message"]
    wrong = client.get("/metrics", environ_base=remote,
                       headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and wrong.json["message"] == "Invalid metrics token"
    # A user's JWT, even an admin's, is not the scrape token.
    assert client.get("/metrics", environ_base=remote,
                      headers=auth("admin")).status_code == 401
    scrape(client, environ_base=remote, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})


def test_the_token_comes_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("KAOPING_METRICS_TOKEN", METRICS_TOKEN)
    client = make_app("inspection").test_client()
    remote = {"REMOTE_ADDR": "198.51.100.1"}
    assert client.get("/metrics", environ_base=remote).status_code == 401
    scrape(client, environ_base=remote, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_a_request_relayed_by_a_proxy_on_loopback_needs_the_token(make_app, header):
    """A gateway on the same host connects from 127.0.0.1: what it relays is not local."""
    client = make_app("survey", METRICS_TOKEN=METRICS_TOKEN).test_client()
    relayed = {header: "127.0.0.1" if header != "Forwarded" else "for=127.0.0.1"}
    assert client.get("/metrics", headers=relayed).status_code == 401
    scrape(client, headers={**relayed, "Authorization": f"Bearer {METRICS_TOKEN}"})


def test_behind_the_gateway_the_peer_is_the_gateway_not_x_forwarded_for(make_app,
                                                                        monkeypatch):
    """ProxyFix turns X-Forwarded-For into the request's remote address; the scrape rule
    looks at the socket's peer (the gateway) and refuses a forged loopback client."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    monkeypatch.setenv("KAOPING_BEHIND_PROXY", "true")
    app = make_app("scoring", METRICS_TOKEN=METRICS_TOKEN)
    assert isinstance(app.wsgi_app, ProxyFix)
    client = app.test_client()
    from_gateway = {"REMOTE_ADDR": "172.18.0.9"}
    for forged in ({"X-Forwarded-For": "127.0.0.1"}, {"X-Forwarded-For": "::1, 127.0.0.1"}):
        assert client.get("/metrics", headers=forged,
                          environ_base=from_gateway).status_code == 401
    scrape(client, environ_base=from_gateway, headers={
        "X-Forwarded-For": "203.0.113.5", "Authorization": f"Bearer {METRICS_TOKEN}"})


def test_the_auth_layer_marks_metrics_as_a_scrape_endpoint(make_app):
    for service in SERVICES:
        view = make_app(service).view_functions["metrics.metrics"]
        assert getattr(view, "_kaoping_scrape", False)
        assert not getattr(view, "_kaoping_public", False)


# --- gunicorn: two workers, one sum --------------------------------------------------------

def test_gunicorn_settings_hand_the_folder_to_gunicorn_not_to_this_process(monkeypatch,
                                                                           tmp_path):
    """Only gunicorn's master (``raw_env``) gets the folder: a process that merely reads
    the settings keeps its in-memory registry."""
    from shared.gunicorn_settings import settings_for

    monkeypatch.setenv("KAOPING_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SURVEY_PORT", "5150")
    settings = settings_for("survey")
    assert settings["raw_env"] == [f"PROMETHEUS_MULTIPROC_DIR={tmp_path}/metrics/survey-5150"]
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ



def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _get_many(url: str, count: int) -> None:
    """``count`` GETs of /healthz, four at a time, each on a new connection."""
    def one(_):
        response = requests.get(f"{url}/healthz", headers={"Connection": "close"}, timeout=10)
        assert response.status_code == 200

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(count)))


def test_gunicorn_workers_share_one_sum_that_survives_a_killed_worker(engines, tmp_path):
    port = _free_port()
    var = tmp_path / "var"
    metrics_dir = var / "metrics" / f"scoring-{port}"
    metrics_dir.mkdir(parents=True)
    (metrics_dir / "counter_4242.db").write_bytes(b"left over from a previous run")
    env = {**os.environ, "KAOPING_VAR_DIR": str(var), "SCORING_PORT": str(port),
           "KAOPING_WORKERS": "2", "KAOPING_THREADS": "2",
           "SCORING_DATABASE_URL": engines["scoring"].url.render_as_string(hide_password=False)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    url = f"http://127.0.0.1:{port}"
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "services/scoring/gunicorn.conf.py")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _ready(url), 60, "gunicorn ready")
        assert not (metrics_dir / "counter_4242.db").exists()  # emptied at start
        workers = _wait(lambda: len(_worker_pids(master.pid)) == 2 and _worker_pids(master.pid),
                        30, "two workers")
        sent = 0

        def both_served() -> bool:
            nonlocal sent
            _get_many(url, 40)
            sent += 40
            served = {int(f.stem.split("_")[-1]) for f in metrics_dir.glob("counter_*.db")}
            return workers <= served

        _wait(both_served, 60, "requests spread over both workers")
        text = requests.get(f"{url}/metrics", timeout=5).text
        assert value(text, REQUESTS, endpoint="health.healthz", status="200") == sent
        assert value(text, LATENCY + "_count", endpoint="health.healthz") == sent

        killed = min(workers)
        assert (metrics_dir / f"gauge_livesum_{killed}.db").exists()
        os.kill(killed, signal.SIGKILL)
        _wait(lambda: len(_worker_pids(master.pid) - {killed}) == 2, 30, "a new worker")
        # child_exit marked it dead: its live gauge is gone, its counts stay in the sum.
        _wait(lambda: not (metrics_dir / f"gauge_livesum_{killed}.db").exists(), 10,
              "the killed worker's gauge file removed")
        _get_many(url, 20)
        text = requests.get(f"{url}/metrics", timeout=5).text
        assert value(text, REQUESTS, endpoint="health.healthz", status="200") == sent + 20
        assert value(text, "kaoping_http_requests_in_progress") == 1  # this scrape
    finally:
        master.terminate()
        master.wait(20)


def test_a_taken_metrics_port_is_logged_and_the_process_goes_on():
    """werkzeug exits the process when it cannot bind; a second dialer on a host must not."""
    from flask import Flask

    from shared.metrics import serve_in_background

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve_in_background(Flask("second"), "127.0.0.1", port) is None
