"""The scoring migrations: one Alembic head, and the migrated schema (intake tables,
scoring_0003's run tables) matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from services.scoring import models
from shared.migrations import heads, service_migrations_dir

INTAKE_TABLES = {"peer_groups", "units", "township_margins", "registry_changes", "periods",
                 "schemes", "scheme_versions", "self_checks", "key_tasks", "milestones",
                 "progress_reports", "direct_values"}


def test_single_head():
    assert len(heads(service_migrations_dir("scoring"))) == 1


def _table_of(diff) -> str | None:
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item if isinstance(item, tuple) else (item,):
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if table is not None:
                return table.name
            if isinstance(part, str) and part in INTAKE_TABLES:
                return part
            if name in INTAKE_TABLES:
                return name
    return None


def test_intake_tables_match_the_models(engines):
    with engines["scoring"].connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, models.Base.metadata)
    mine = [d for d in diffs if _table_of(d) in INTAKE_TABLES]
    assert mine == []
    assert INTAKE_TABLES <= set(models.Base.metadata.tables)


def test_migrated_database_matches_the_models(engines):
    with engines["scoring"].connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), models.Base.metadata)
    assert [d for d in diff if "score_" in str(d)] == []
    assert {"score_runs", "score_results"} <= set(models.Base.metadata.tables)
