"""Alembic driven from code: one head per service, upgrade to a revision or to head."""

import pytest

from shared.db import make_engine
from shared.migrations import at_head, current, heads, service_migrations_dir, upgrade

SERVICES = ("survey", "scoring", "inspection", "portal")


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_exactly_one_alembic_head(service):
    assert len(heads(service_migrations_dir(service))) == 1


def test_upgrade_to_a_revision_then_to_head(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'scoring.sqlite3'}")
    folder = service_migrations_dir("scoring")
    try:
        assert current(engine) == () and not at_head(engine, folder)
        upgrade(engine, folder, "scoring_0002")
        assert current(engine) == ("scoring_0002",) and not at_head(engine, folder)
        upgrade(engine, folder)
        assert current(engine) == heads(folder) and at_head(engine, folder)
    finally:
        engine.dispose()
