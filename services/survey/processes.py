"""Processes the survey service adds to ``kaoping run``: the simulated carrier (unless
``TWILIO_API_BASE_URL`` points elsewhere, i.e. at real Twilio) and the dialer worker."""

from __future__ import annotations

import sys

from services.cli.lifecycle import ProcessSpec
from services.survey.config import ProcessSettings
from shared.config import ROOT


def processes(settings: ProcessSettings | None = None) -> list[ProcessSpec]:
    """The carrier (when no real endpoint is configured) and the dialer; ``settings``
    default to those of the environment (``ProcessSettings.from_env``)."""
    settings = settings or ProcessSettings.from_env()
    specs = []
    env: dict[str, str] = {}
    if settings.twilio_api_base_url is None:
        env["TWILIO_API_BASE_URL"] = settings.carrier_url
        specs.append(ProcessSpec(
            "carrier", [sys.executable, "-m", "gunicorn", "-c",
                        str(ROOT / "services" / "carrier" / "gunicorn.conf.py")],
            ready_url=f"{settings.carrier_url}/healthz"))
    specs.append(ProcessSpec("dialer", [sys.executable, "-m", "services.cli", "dialer"],
                             env=env))
    return specs
