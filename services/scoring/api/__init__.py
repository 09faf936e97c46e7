"""HTTP API of the scoring service: flask-smorest blueprints under /api/v1."""

from services.scoring.api import (
    direct_values,
    documents,
    instructions,
    key_tasks,
    periods,
    registry,
    reminders,
    runs,
    schemes,
    self_checks,
)

BLUEPRINTS: list = [registry.blp, periods.blp, schemes.blp, self_checks.blp, key_tasks.blp,
                    direct_values.blp, runs.blp, documents.blp, instructions.blp,
                    reminders.blp]
