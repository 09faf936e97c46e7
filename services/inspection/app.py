"""create_app() of the inspection service."""

from services.inspection.api import BLUEPRINTS
from services.inspection.config import configure
from shared.app import create_service_app
from shared.migrations import service_migrations_dir


def create_app(test_config=None):
    return create_service_app(
        "inspection", title="Kaoping inspection",
        description="Open and unannounced spot checks: checklists, measurements, evidence, "
                    "findings and rectification orders.",
        blueprints=BLUEPRINTS, migrations_dir=service_migrations_dir("inspection"),
        test_config=test_config, configure=configure)
