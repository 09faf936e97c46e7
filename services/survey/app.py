"""create_app() of the survey service.

Settings are read from the environment once (``SurveySettings.from_env``) and go into
``app.config`` (a test's ``test_config`` overrides them); the phone vault is installed
with the settings' keys; then the API blueprints and the respondents' pages.
"""

from services.survey.api import BLUEPRINTS
from services.survey.config import SurveySettings
from services.survey.telephony.gather_wsgi import DirectGather
from services.survey.telephony.vault import install_vault
from services.survey.web import init_web
from shared.app import create_service_app
from shared.migrations import service_migrations_dir


def create_app(test_config=None):
    settings = SurveySettings.from_env()
    install_vault(settings.phone_keys.keys, settings.phone_keys.hash_key)
    app = create_service_app(
        "survey", title="Kaoping survey",
        description="Telephone polls over Twilio, web and paper questionnaires, "
                    "weighted township estimates with design-based error margins.",
        blueprints=BLUEPRINTS, migrations_dir=service_migrations_dir("survey"),
        test_config=test_config, configure=init_web,
        service_settings=settings.flask_config())
    # The common keypad answer of the IVR, answered in front of Flask (same functions).
    app.wsgi_app = DirectGather(app, app.wsgi_app)
    return app
