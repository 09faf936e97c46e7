"""create_app() of the survey service."""

from services.survey.api import BLUEPRINTS
from shared.app import create_service_app
from shared.config import env_str
from shared.migrations import service_migrations_dir


def _configure(app) -> None:
    from services.survey.web import init_web

    app.config.setdefault("PUBLIC_BASE_URL", env_str("PUBLIC_BASE_URL", ""))
    init_web(app)


def create_app(test_config=None):
    return create_service_app(
        "survey", title="Kaoping survey",
        description="Telephone polls over Twilio, web and paper questionnaires, "
                    "weighted township estimates with design-based error margins.",
        blueprints=BLUEPRINTS, migrations_dir=service_migrations_dir("survey"),
        test_config=test_config, configure=_configure)
