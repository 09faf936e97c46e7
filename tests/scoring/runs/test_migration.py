"""scoring_0003 creates exactly what the run models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.scoring.models import Base


def test_migrated_database_matches_the_models(engines):
    with engines["scoring"].connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "score_" in str(d)] == []
    assert {"score_runs", "score_results"} <= set(Base.metadata.tables)
