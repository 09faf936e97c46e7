"""shared.gunicorn_settings: a worker killed with SIGKILL is replaced by a fork of a master
that has the app loaded already, so the service is back in a fraction of the time an
import of the app takes (found by the chaos harness: with both workers of a service
killed, it was away for the 5–14 s a worker took to import the app on a busy machine)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import requests
from sqlalchemy import text

from shared.db import make_engine
from shared.gunicorn_settings import settings_for
from tests.conftest import database_url_for

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _workers(master: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == master and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _import_seconds() -> float:
    """What a worker that is not forked from a loaded master spends before serving."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c",
                    "from services.survey.app import create_app; create_app()"],
                   cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def test_a_killed_worker_is_back_sooner_than_an_import_of_the_app_takes():
    port = _free_port()
    env = {**os.environ, "SURVEY_PORT": str(port), "KAOPING_WORKERS": "1",
           "KAOPING_THREADS": "1"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c",
                               str(ROOT / "services/survey/gunicorn.conf.py")], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        deadline = time.monotonic() + 90
        while not _answers(url):
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        import_seconds = _import_seconds()
        (worker,) = _workers(server.pid)
        killed = time.monotonic()
        os.kill(worker, signal.SIGKILL)
        while not (_workers(server.pid) not in ([], [worker]) and _answers(url)):
            assert time.monotonic() - killed < 90, "no new worker"
            time.sleep(0.02)
        back = time.monotonic() - killed
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    assert back < import_seconds / 2, (back, import_seconds)


def test_a_forked_worker_does_not_share_the_masters_pooled_connections(make_app):
    engine = make_engine(database_url_for("survey"))
    app = make_app("survey", ENGINE=engine)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        inherited = connection.connection.dbapi_connection
    assert engine.pool.checkedin() == 1
    master = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))  # gunicorn's Arbiter
    settings_for("survey")["post_fork"](master, None)
    assert engine.pool.checkedin() == 0
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection is not inherited
    engine.dispose()
    inherited.close()
