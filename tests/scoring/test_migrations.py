"""The scoring migrations: one Alembic head, and the migrated schema (intake tables,
scoring_0003's run tables) matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from services.scoring import models
from shared.migrations import heads, service_migrations_dir

INTAKE_TABLES = {"peer_groups", "units", "township_margins", "registry_changes", "periods",
                 "schemes", "scheme_versions", "self_checks", "key_tasks", "milestones",
                 "progress_reports", "direct_values"}

# scoring_0007 replaced these two by statement-level triggers on PostgreSQL
# (tests/scoring/test_self_check_keys.py checks that the rule still holds there)
KEYS_AS_TRIGGERS = {"fk_self_checks_unit_id_units", "fk_self_checks_period_id_periods"}


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
    if engines["scoring"].dialect.name == "postgresql":
        assert {d[1].name for d in mine if d[0] == "add_fk"} == KEYS_AS_TRIGGERS
        mine = [d for d in mine if d[0] != "add_fk" or d[1].name not in KEYS_AS_TRIGGERS]
    assert mine == []
    assert INTAKE_TABLES <= set(models.Base.metadata.tables)


def test_migrated_database_matches_the_models(engines):
    with engines["scoring"].connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), models.Base.metadata)
    assert [d for d in diff if "score_" in str(d)] == []
    assert {"score_runs", "score_results"} <= set(models.Base.metadata.tables)
