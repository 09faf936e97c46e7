"""The suite's own database modes (tests/databases.py, tests/conftest.py): which tests
run rolled back, that their rows are gone afterwards, and that a module base keeps what
it loaded for the module's tests while each test's own rows are rolled back."""

from __future__ import annotations

from sqlalchemy import func, select

from services.scoring.models.registry import PeerGroup
from tests.databases import ModuleBase, TestDatabases


def test_a_test_with_only_an_app_runs_rolled_back(request, scoring_client, databases):
    assert request.node.get_closest_marker("commits") is None
    assert databases.rollback


def test_a_test_using_the_engines_runs_with_commits(request, engines, databases):
    assert request.node.get_closest_marker("commits") is not None
    assert not databases.rollback


def _add(sessions, code: str) -> int:
    with sessions("scoring")() as session:
        group = PeerGroup(code=code, name_zh=code, name_en=code)
        session.add(group)
        session.commit()  # releases the session's SAVEPOINT only
        return group.id


def _codes(sessions) -> list[str]:
    with sessions("scoring")() as session:
        return list(session.scalars(select(PeerGroup.code).order_by(PeerGroup.id)))


def _committed(engines) -> int:
    with engines["scoring"].connect() as connection:
        return connection.scalar(select(func.count()).select_from(PeerGroup))


def test_rolled_back_rows_are_gone_and_a_module_base_keeps_its_own(engines, _rollback_setup):
    rollback_engines, sequences = _rollback_setup

    first = TestDatabases(engines, rollback_engines, sequences, rollback=True)
    _add(first.sessions, "A")
    assert _codes(first.sessions) == ["A"]
    first.close()
    assert _committed(engines) == 0

    base = ModuleBase(engines, rollback_engines, sequences)
    loaded = base.load("groups", lambda sessions: _add(sessions, "BASE"))
    assert base.load("groups", lambda sessions: _add(sessions, "AGAIN")) == loaded
    try:
        ids = []
        for code in ("T1", "T2"):
            test = TestDatabases(engines, rollback_engines, sequences, rollback=True, base=base)
            base.test = test
            ids.append(_add(test.sessions, code))
            assert _codes(test.sessions) == ["BASE", code]
            test.close()
        # Each test sees the ids a fresh load gives: the next id after the base's rows.
        assert ids == [loaded + 1, loaded + 1]
        assert _committed(engines) == 0
    finally:
        base.close()
    after = TestDatabases(engines, rollback_engines, sequences, rollback=True)
    assert _codes(after.sessions) == []
    after.close()
