"""Warnings in the method record: goalposts that no value reaches (issue 11)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.scoring.engine import Table, compute, from_document

UNITS = ["a1", "a2", "a3", "b1", "b2", "b3"]
GROUPS = ["A", "A", "A", "B", "B", "B"]


def _scheme(transform=None, direction="higher", goalposts=(100, 75000), overrides=()):
    leaf = {"id": "gdp", "source": "direct", "direction": direction, "unit_of_measure": "yuan",
            "weight": 0.5,
            "normalisation": {"method": "goalposts", "min": goalposts[0], "max": goalposts[1]}}
    if transform:
        leaf["transform"] = transform
    other = {"id": "sat", "source": "poll", "direction": "higher", "unit_of_measure": "rate",
             "weight": 0.5, "normalisation": {"method": "tscore"}}
    return from_document({"root": {"id": "total", "children": [leaf, other]},
                          "overrides": list(overrides)})


def _compute(scheme, gdp):
    values = np.column_stack([gdp, np.linspace(0.6, 0.9, len(UNITS))])
    return compute(scheme, Table(UNITS, GROUPS, ["gdp", "sat"], values,
                                 np.full_like(values, np.nan)))


GDP = [1200.0, 3400.0, 9000.0, 20000.0, 60000.0, 800.0]


def test_raw_unit_goalposts_of_a_log_indicator_warn_with_the_log_bounds():
    result = _compute(_scheme({"kind": "log"}), GDP)
    assert np.all(result.normalised[:, 0] == 0)
    lo, hi = math.log(min(GDP)), math.log(max(GDP))
    assert result.method["warnings"] == [
        f"gdp: every value after the log transform lies outside the goalposts [100, 75000] "
        f"(values {lo:.4g} to {hi:.4g}), so every unit scores 0; goalposts are on the scale "
        f"of the transformed values (raw bounds 100 and 75000 would be min: "
        f"{math.log(100):.4g}, max: {math.log(75000):.4g})"]


def test_goalposts_on_the_log_scale_give_no_warning():
    result = _compute(_scheme({"kind": "log"}, goalposts=(math.log(100), math.log(75000))), GDP)
    assert result.method["warnings"] == []
    assert 0 < result.normalised[:, 0].min() < result.normalised[:, 0].max() < 100


def test_a_lower_is_better_indicator_above_its_goalposts_scores_0():
    result = _compute(_scheme(direction="lower", goalposts=(0, 500)), GDP)
    assert np.all(result.normalised[:, 0] == 0)
    assert "so every unit scores 0" in result.method["warnings"][0]
    assert "transformed" not in result.method["warnings"][0]


@pytest.mark.parametrize("inside, warned", [(False, True), (True, False)])
def test_a_group_override_is_checked_on_its_own_units(inside, warned):
    bounds = {"method": "goalposts", "min": 0, "max": 30000 if inside else 500}
    scheme = _scheme(goalposts=(0, 10 ** 6),
                     overrides=[{"peer_group": "B", "normalisation": {"gdp": bounds}}])
    result = _compute(scheme, GDP)
    assert (result.method["warnings"] != []) is warned
    if warned:
        assert result.method["warnings"][0].startswith("gdp: every value lies outside the "
                                                       "goalposts [0, 500] (values 800 to 6e+04)")
