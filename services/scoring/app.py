"""create_app() of the scoring service."""

from typing import Any

from flask import Flask

from services.scoring.api import BLUEPRINTS
from services.scoring.config import ScoringSettings
from shared.app import create_service_app
from shared.migrations import service_migrations_dir


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The scoring app: settings read once from the environment (``ScoringSettings``),
    then ``test_config`` over them."""
    settings = ScoringSettings.from_env()
    vault = settings.phone_vault()

    def configure(app: Flask) -> None:
        app.extensions["phone_vault"] = vault

    return create_service_app(
        "scoring", title="Kaoping scoring",
        description="Units, peer groups, assessment scheme, self-checks and key tasks; "
                    "weighted, normalised composite scores, rankings and assessments.",
        blueprints=BLUEPRINTS, migrations_dir=service_migrations_dir("scoring"),
        service_settings=settings.flask_config(), test_config=test_config,
        configure=configure)
