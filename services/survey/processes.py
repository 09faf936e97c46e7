"""Processes the survey service adds to ``kaoping run``: the simulated carrier (unless
``TWILIO_API_BASE_URL`` points elsewhere, i.e. at real Twilio) and the dialer worker."""

from __future__ import annotations

import os
import sys

from services.cli.lifecycle import ProcessSpec
from shared.config import ROOT, env_int
from shared.gunicorn_settings import service_host, service_port


def carrier_port() -> int:
    """``CARRIER_PORT``, default ``SURVEY_PORT`` + 8 (5009), so that a suite started on
    other ports brings its own carrier along."""
    return env_int("CARRIER_PORT", service_port("survey") + 8, minimum=1)


def carrier_url() -> str:
    host = service_host()
    host = "127.0.0.1" if host == "0.0.0.0" else host
    return f"http://{host}:{carrier_port()}"


def processes() -> list[ProcessSpec]:
    specs = []
    env: dict[str, str] = {}
    if not os.environ.get("TWILIO_API_BASE_URL"):
        env["TWILIO_API_BASE_URL"] = carrier_url()
        specs.append(ProcessSpec(
            "carrier", [sys.executable, "-m", "gunicorn", "-c",
                        str(ROOT / "services" / "carrier" / "gunicorn.conf.py")],
            ready_url=f"{carrier_url()}/healthz"))
    specs.append(ProcessSpec("dialer", [sys.executable, "-m", "services.cli", "dialer"],
                             env=env))
    return specs
