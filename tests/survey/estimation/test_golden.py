"""Golden case: raking the apiclus1 cluster sample as R ``survey`` 4.5 prints it
(tests/data/golden/raking/EXPECTED.md)."""

import csv

import numpy as np
import pytest

from services.survey.estimation import (
    Margin,
    SurveyDesign,
    rake,
    weighted_mean,
    weighted_total,
)

STYPE = {"E": 4421, "H": 755, "M": 1018}
SCH_WIDE = {"No": 1072, "Yes": 5122}
COMP_IMP = {"No": 1712, "Yes": 4482}
STYPE_X_SCH_WIDE = {("E", "No"): 472, ("E", "Yes"): 3949, ("H", "No"): 334,
                    ("H", "Yes"): 421, ("M", "No"): 266, ("M", "Yes"): 752}


@pytest.fixture(scope="module")
def apiclus1(golden_dir):
    with open(golden_dir / "raking" / "apiclus1.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {key: np.array([r[key] for r in rows]) for key in rows[0]}


@pytest.fixture(scope="module")
def dclus1(apiclus1):
    """svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)"""
    return SurveyDesign(apiclus1["pw"].astype(float), clusters=apiclus1["dnum"],
                        population_psus=apiclus1["fpc"].astype(float))


def test_unraked_cluster_mean_matches_svymean(dclus1, apiclus1):
    est = weighted_mean(dclus1, apiclus1["api00"].astype(float))
    assert round(est.estimate, 2) == 644.17
    assert round(est.se, 3) == 23.542


def test_fpc_as_sampling_fraction_gives_the_same_se(apiclus1):
    design = SurveyDesign(apiclus1["pw"].astype(float), clusters=apiclus1["dnum"],
                          sampling_fraction=15 / 757)
    est = weighted_mean(design, apiclus1["api00"].astype(float))
    assert round(est.se, 3) == 23.542


def test_rake_on_stype_and_sch_wide(dclus1, apiclus1):
    raked = rake(dclus1, [Margin("stype", apiclus1["stype"], STYPE),
                          Margin("sch.wide", apiclus1["sch.wide"], SCH_WIDE)], tol=1e-10)
    assert raked.converged and raked.max_margin_error <= 1e-10
    mean = weighted_mean(raked.design, apiclus1["api00"].astype(float))
    assert round(mean.estimate, 2) == 641.23
    assert round(mean.se, 3) == 23.704
    total = weighted_total(raked.design, apiclus1["enroll"].astype(float))
    assert round(total.estimate) == 3_647_280
    assert round(total.se) == 400_603


def test_rake_on_joint_stype_by_sch_wide_and_comp_imp(dclus1, apiclus1):
    raked = rake(dclus1, [Margin("stype x sch.wide", [apiclus1["stype"], apiclus1["sch.wide"]],
                                 STYPE_X_SCH_WIDE),
                          Margin("comp.imp", apiclus1["comp.imp"], COMP_IMP)], tol=1e-10)
    assert raked.converged
    joint = np.array([f"{a}/{b}" for a, b in zip(apiclus1["stype"], apiclus1["sch.wide"],
                                                   strict=True)])
    for (a, b), target in STYPE_X_SCH_WIDE.items():
        assert raked.weights[joint == f"{a}/{b}"].sum() == pytest.approx(target, rel=1e-9)
    mean = weighted_mean(raked.design, apiclus1["api00"].astype(float))
    assert round(mean.estimate, 2) == 642.61
    assert round(mean.se, 3) == 22.731


def test_unraked_se_ignoring_clusters_is_different(apiclus1):
    """Guards the golden SEs: dropping the clusters must change them."""
    design = SurveyDesign(apiclus1["pw"].astype(float))
    est = weighted_mean(design, apiclus1["api00"].astype(float))
    assert abs(est.se - 23.542) > 5
