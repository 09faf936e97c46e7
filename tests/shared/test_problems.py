"""shared.errors.Problems: the one error collector (fields and import rows)."""

import pytest

from shared.errors import Conflict, Problems, ValidationFailed


def test_fields_gather_every_reason_and_raise_once():
    problems = Problems()
    assert not problems
    problems.add("weight", "must be positive")
    problems.add("weight", "must be a number")
    problems.add("name", "is required")
    with pytest.raises(ValidationFailed) as caught:
        problems.raise_if_any("Invalid scheme")
    assert caught.value.message == "Invalid scheme"
    assert caught.value.errors == {"weight": ["must be positive", "must be a number"],
                                   "name": ["is required"]}


def test_rows_are_listed_up_to_the_limit_and_all_counted():
    problems = Problems(max_rows=2)
    for row in (2, 3, 4):
        problems.add_row(row, "value", "not a number")
    problems.add_row("items[0]", "id", "duplicate")
    assert problems.count == 4
    assert problems.errors == {"row 2": {"value": ["not a number"]},
                               "row 3": {"value": ["not a number"]}}
    with pytest.raises(Conflict):
        problems.raise_if_any("import", Conflict)


def test_merge_keeps_the_count_of_rows_not_listed():
    listed, capped = Problems(), Problems(max_rows=1)
    capped.add_row(2, "a", "x")
    capped.add_row(3, "a", "y")
    listed.add("file", "bad")
    listed.merge(capped)
    assert listed.count == 3
    assert listed.errors == {"file": ["bad"], "row 2": {"a": ["x"]}}


def test_nothing_gathered_raises_nothing():
    Problems().raise_if_any("never")
