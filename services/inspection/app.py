"""create_app() of the inspection service.

Settings are read from the environment once (``InspectionSettings.from_env``), then a
test's ``test_config`` overrides them (``shared.app.create_service_app``).
"""

from flask import Flask

from services.inspection.api import BLUEPRINTS
from services.inspection.config import InspectionSettings
from shared.app import create_service_app
from shared.migrations import service_migrations_dir


def create_app(test_config: dict | None = None) -> Flask:
    return create_service_app(
        "inspection", title="Kaoping inspection",
        description="Open and unannounced spot checks: checklists, measurements, evidence, "
                    "findings and rectification orders.",
        blueprints=BLUEPRINTS, migrations_dir=service_migrations_dir("inspection"),
        test_config=test_config, service_settings=InspectionSettings.from_env().flask_config())
