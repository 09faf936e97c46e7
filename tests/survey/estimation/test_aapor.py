"""AAPOR outcome rates on a worked example, every rate computed here by hand."""

import pytest

from services.survey.estimation import (
    E_METHOD_GIVEN,
    E_METHOD_RESOLVED,
    RATE_NAMES,
    Dispositions,
    EstimationError,
    estimate_e,
    outcome_rates,
)

# A township: 400 completes, 40 partials, 150 refusals, 210 non-contacts, 20 other,
# 300 unknown household, 80 unknown other, 200 not eligible.
D = Dispositions(I=400, P=40, R=150, NC=210, O=20, UH=300, UO=80, NE=200)
# Eligible resolved = 400+40+150+210+20 = 820; e = 820 / (820 + 200) = 0.803921...
E = 820 / 1020
ALL = 820 + 380           # 1200
WITH_E = 820 + E * 380    # 1125.490196...
HAND = {
    "RR1": 400 / 1200, "RR2": 440 / 1200,
    "RR3": 400 / WITH_E, "RR4": 440 / WITH_E,
    "RR5": 400 / 820, "RR6": 440 / 820,
    "COOP1": 400 / 610, "COOP2": 440 / 610, "COOP3": 400 / 590, "COOP4": 440 / 590,
    "REF1": 150 / 1200, "REF2": 150 / WITH_E, "REF3": 150 / 820,
    "CON1": 610 / 1200, "CON2": 610 / WITH_E, "CON3": 610 / 820,
}


def test_every_rate_with_e_from_resolved_cases():
    out = outcome_rates(D)
    assert set(out.rates) == set(RATE_NAMES) == set(HAND)
    for name, value in HAND.items():
        assert out.rates[name] == pytest.approx(value), name
    assert out.e == pytest.approx(E) and out.e_method == E_METHOD_RESOLVED
    assert out.rates["RR3"] == pytest.approx(0.355401, abs=1e-6)
    assert out.reasons == {}


def test_given_e_is_used_and_stated():
    out = outcome_rates(D, e=0.5)
    assert out.e == 0.5 and out.e_method == E_METHOD_GIVEN
    assert out.rates["RR3"] == pytest.approx(400 / (820 + 190))
    assert out.rates["CON2"] == pytest.approx(610 / 1010)
    assert out.rates["RR1"] == pytest.approx(HAND["RR1"])  # e-free rates unchanged
    assert outcome_rates(D, e=1.0).rates["RR3"] == pytest.approx(HAND["RR1"])
    assert outcome_rates(D, e=0.0).rates["RR3"] == pytest.approx(HAND["RR5"])


def test_zero_denominators_are_null_with_a_reason():
    out = outcome_rates(Dispositions(UH=10, UO=5))
    assert out.e is None
    assert out.rates["RR1"] == 0.0
    for name in ("RR3", "RR4", "REF2", "CON2"):
        assert out.rates[name] is None and "e cannot be estimated" in out.reasons[name]
    for name in ("RR5", "RR6", "REF3", "CON3", "COOP1", "COOP4"):
        assert out.rates[name] is None and "zero" in out.reasons[name]
    empty = outcome_rates(Dispositions(NE=7))
    assert empty.e == 0.0 and empty.rates["RR3"] is None and "RR1" in empty.reasons
    assert outcome_rates(Dispositions()).to_dict()["rates"]["COOP1"] is None


def test_overall_is_the_sum_of_townships():
    a = Dispositions(I=10, P=1, R=5, NC=3, O=1, UH=4, UO=0, NE=2)
    b = Dispositions(I=20, P=0, R=2, NC=7, O=0, UH=6, UO=2, NE=3)
    total = Dispositions.total([a, b])
    assert total == Dispositions(I=30, P=1, R=7, NC=10, O=1, UH=10, UO=2, NE=5)
    assert estimate_e(total) == pytest.approx(49 / 54)
    assert outcome_rates(total).rates["RR2"] == pytest.approx(31 / 61)


def test_invalid_inputs():
    with pytest.raises(EstimationError):
        Dispositions(I=-1)
    with pytest.raises(EstimationError):
        outcome_rates(D, e=1.5)
