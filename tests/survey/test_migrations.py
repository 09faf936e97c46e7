"""The survey history has one head and the migrated database matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from services.survey import models
from shared.migrations import heads, service_migrations_dir


def test_single_head():
    assert len(heads(service_migrations_dir("survey"))) == 1


def test_models_match_migrated_database(engines):
    with engines["survey"].connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, models.Base.metadata)
    assert diff == []
