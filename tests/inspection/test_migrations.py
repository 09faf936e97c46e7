"""The migrated database matches the models, and there is one head."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from services.inspection import models
from shared.migrations import heads, service_migrations_dir


def test_single_head():
    assert heads(service_migrations_dir("inspection")) == ("inspection_0002",)


def test_models_match_migrated_database(engines):
    with engines["inspection"].connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, models.Base.metadata) == []
