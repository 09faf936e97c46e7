"""The values the engine scores: long rows read into one row per unit and one column per
indicator (numbers as people type them, reported fields, inspection discrepancy rates),
every bad row named by its line, and the table's own checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.scoring.engine import EngineError, Table

NAN = math.nan


def _row(unit, group, indicator, value, **extra):
    return {"unit": unit, "group": group, "indicator": indicator, "value": value, **extra}


def test_long_rows_become_a_unit_by_indicator_table_in_the_given_indicator_order():
    rows = [
        _row("U2", "towns", "sat", "0.7", se="0.05"),
        _row("U1", "towns", "insp", "1,234.5"),
        _row("U1", "towns", "sat", "81%", se=""),
        _row("D1", "depts", "sat", "NA", se="0.1"),
        _row("D1", "depts", "insp", 90),
    ]
    table = Table.from_rows(rows, ["sat", "insp", "late"])
    assert table.units == ["D1", "U1", "U2"]  # sorted by code
    assert table.groups == ["depts", "towns", "towns"]
    assert table.indicators == ["sat", "insp", "late"]
    np.testing.assert_array_equal(table.values, [[NAN, 90.0, NAN],
                                                 [81.0, 1234.5, NAN],
                                                 [0.7, NAN, NAN]])
    np.testing.assert_array_equal(table.se, [[0.1, NAN, NAN],
                                             [NAN, NAN, NAN],
                                             [0.05, NAN, NAN]])
    assert table.fields == {} and table.discrepancy is None


def test_reported_fields_and_discrepancy_rates_have_their_own_arrays():
    rows = [
        _row("U1", "g", "ratio", "30", field="actual"),
        _row("U1", "g", "ratio", "40", field="target"),
        _row("U2", "g", "ratio", "", field="actual"),
        _row("U3", "g", "ratio", "0.5"),
        _row("U1", "g", "discrepancy_rate", "0.25"),
        _row("U3", "g", "discrepancy_rate", "NA"),
    ]
    table = Table.from_rows(rows, ["ratio"])
    assert table.units == ["U1", "U2", "U3"]
    np.testing.assert_array_equal(table.fields["ratio"]["actual"], [30.0, NAN, NAN])
    np.testing.assert_array_equal(table.fields["ratio"]["target"], [40.0, NAN, NAN])
    np.testing.assert_array_equal(table.values[:, 0], [NAN, NAN, 0.5])
    np.testing.assert_array_equal(table.discrepancy, [0.25, NAN, NAN])


def test_every_bad_row_is_named_by_its_line():
    rows = [
        _row("U1", "g", "sat", "1"),
        _row("", "g", "sat", "1"),
        _row("U1", "h", "insp", "2"),
        _row("U2", "g", "sat", "lots", se="-1"),
        _row("U2", "g", "unknown", "1"),
        _row("U1", "g", "sat", "3"),
        _row("U1", "g", "ratio", "3", field="actual"),
        _row("U1", "g", "ratio", "4", field="actual"),
    ]
    with pytest.raises(EngineError) as err:
        Table.from_rows(rows, ["sat", "insp", "ratio"], row_numbers=[2, 3, 5, 6, 7, 8, 9, 10])
    assert err.value.message == "invalid values table"
    assert err.value.errors == {
        "row 3": ["unit, group and indicator are required"],
        "row 5": ["unit U1 is in group g already"],
        "row 6": ["value 'lots' is not a number", "se must be ≥ 0"],
        "row 7": ["unknown indicator 'unknown'"],
        "row 8": ["duplicate value for U1 / sat"],
        "row 10": ["duplicate value for U1 / ratio actual"],
    }
    with pytest.raises(EngineError) as err:
        Table.from_rows(rows[:2], ["sat"])
    assert list(err.value.errors) == ["row 2"]  # 1, 2, … without line numbers


def test_cells_keep_the_given_unit_order():
    table = Table.from_cells(["b", "a"], ["g", "g"], ["x", "y"],
                             {("a", "x"): (1.0, 0.5), ("b", "y"): (2.0, NAN)},
                             {("b", "x", "num"): 3.0}, {"a": 0.1})
    np.testing.assert_array_equal(table.values, [[NAN, 2.0], [1.0, NAN]])
    np.testing.assert_array_equal(table.se, [[NAN, NAN], [0.5, NAN]])
    np.testing.assert_array_equal(table.fields["x"]["num"], [3.0, NAN])
    np.testing.assert_array_equal(table.discrepancy, [NAN, 0.1])


@pytest.mark.parametrize(("table", "errors"), [
    (Table(["a", "b"], ["g"], ["x"], np.zeros((2, 1)), np.zeros((2, 1))),
     {"table": ["2 units, 1 indicators"]}),
    (Table(["a"], ["g"], ["x"], np.zeros((1, 1)), np.zeros((1, 2))),
     {"table": ["1 units, 1 indicators"]}),
    (Table(["a", "a"], ["g", "g"], ["x"], np.zeros((2, 1)), np.zeros((2, 1))),
     {"units": ["duplicate"]}),
    (Table([], [], ["x"], np.zeros((0, 1)), np.zeros((0, 1))), {"units": ["empty"]}),
], ids=["groups", "se", "duplicate units", "empty"])
def test_validate_refuses_a_table_the_engine_cannot_score(table, errors):
    with pytest.raises(EngineError) as err:
        table.validate()
    assert err.value.errors == errors


def test_a_consistent_table_validates():
    Table(["a", "b"], ["g", "h"], ["x"], np.zeros((2, 1)), np.full((2, 1), NAN)).validate()
