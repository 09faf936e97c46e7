"""Processes the scoring service adds to ``kaoping run``: the reminder worker (through
the simulated carrier unless ``TWILIO_API_BASE_URL`` names a real endpoint; the survey
service starts the carrier)."""

from __future__ import annotations

import sys

from services.cli.lifecycle import ProcessSpec
from services.scoring.config import ReminderProcessSettings


def processes(settings: ReminderProcessSettings | None = None) -> list[ProcessSpec]:
    settings = settings or ReminderProcessSettings.from_env()
    env = {} if settings.twilio_api_base_url else {"TWILIO_API_BASE_URL": settings.carrier_url}
    return [ProcessSpec("reminders", [sys.executable, "-m", "services.cli", "reminders",
                                      "worker"], env=env)]
