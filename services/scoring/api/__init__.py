"""HTTP API of the scoring service: flask-smorest blueprints under /api/v1."""

from services.scoring.api import direct_values, keytasks, periods, registry, schemes, selfchecks
from services.scoring.api import runs as runs_api

BLUEPRINTS: list = [registry.blp, periods.blp, schemes.blp, selfchecks.blp, keytasks.blp,
                    direct_values.blp]
BLUEPRINTS.append(runs_api.blp)
