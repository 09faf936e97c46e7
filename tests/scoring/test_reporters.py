"""Who reports for a unit and which unit's reports a principal reads."""

import pytest

from services.scoring.reporters import Reporter, check_unit, readable_unit, reporter
from shared.auth import Principal
from shared.errors import Forbidden, NotFound

UNIT = Principal("t01-reporter", "unit", "T01")
PLANNER = Principal("office", "planner")


def test_a_unit_token_writes_for_its_unit_and_staff_may_backfill():
    assert reporter(UNIT) == Reporter("t01-reporter", "T01", False)
    assert reporter(PLANNER) == Reporter("office", None, True)
    assert reporter(Principal("a", "admin")).may_backfill
    assert not reporter(Principal("x", "analyst")).may_backfill


def test_a_unit_token_reads_its_own_unit_by_default_and_no_other():
    assert readable_unit(UNIT, None) == "T01"
    assert readable_unit(UNIT, "T01") == "T01"
    with pytest.raises(Forbidden, match="scoped to unit T01, not T02"):
        readable_unit(UNIT, "T02")
    assert readable_unit(PLANNER, None) is None and readable_unit(PLANNER, "T02") == "T02"


def test_another_units_thing_can_be_hidden():
    check_unit(UNIT, "T01", hide=True)
    with pytest.raises(NotFound):
        check_unit(UNIT, "T02", hide=True)
    check_unit(PLANNER, "T02", hide=True)
