"""Hamilton quotas with ties, awards and ranks with ties, period aggregation, credibility."""

from __future__ import annotations

import numpy as np
import pytest

from services.scoring.engine import EngineError, Table, compute, from_document, quota


def test_hamilton_largest_remainder():
    # quotas 2, 1.2, 0.8 → floors 2, 1, 0 → last seat to the largest remainder (C)
    assert quota.hamilton({"A": 5, "B": 3, "C": 2}, 4) == {"A": 2, "B": 1, "C": 1}
    # 10 seats over 7/5/3 (N = 15): quotas 4.667, 3.333, 2 → 4+1, 3, 2
    assert quota.hamilton({"A": 7, "B": 5, "C": 3}, 10) == {"A": 5, "B": 3, "C": 2}


def test_hamilton_ties_go_to_larger_group_then_code():
    # quotas 0.5 and 2.5: equal remainders, the larger group wins
    assert quota.hamilton({"A": 1, "B": 5}, 3) == {"A": 0, "B": 3}
    # three equal groups, two seats: code order
    assert quota.hamilton({"C": 1, "B": 1, "A": 1}, 2) == {"A": 1, "B": 1, "C": 0}
    with pytest.raises(EngineError):
        quota.hamilton({"A": 1}, 2)


def test_seats_total_from_share_rounds_half_up():
    assert quota.seats_total(106, share=0.2) == 21
    assert quota.seats_total(10, share=0.25) == 3  # 2.5 → 3
    assert quota.seats_total(10, seats=4) == 4
    assert quota.seats_total(10) is None


def test_rank_ties_broken_by_unit_code():
    values = np.array([5.0, 7.0, 7.0, np.nan, 1.0])  # units already sorted by code
    np.testing.assert_array_equal(quota.rank_within(values, [slice(0, 5)]), [3, 1, 2, 5, 4])


def test_awards_follow_seats_and_ties():
    doc = {
        "root": {
            "id": "t",
            "weighting": {"method": "equal"},
            "children": [
                {
                    "id": "X",
                    "source": "direct",
                    "direction": "higher",
                    "unit_of_measure": "",
                    "normalisation": {"method": "none"},
                }
            ],
        }
    }
    units = ["u3", "u1", "u2", "v1", "v2"]
    groups = ["G", "G", "G", "H", "H"]
    values = np.array([[9.0], [9.0], [1.0], [5.0], [6.0]])
    r = compute(
        from_document(doc),
        Table(units, groups, ["X"], values, np.full_like(values, np.nan)),
        advanced_seats=2,
    )
    assert r.seats == {"G": 1, "H": 1}  # quotas 1.2 and 0.8
    awarded = {u for u, a in zip(r.units, r.advanced, strict=True) if a}
    assert awarded == {"u1", "v2"}  # u1 beats u3 on the tie by code


def test_float32_ranks_match_the_stable_float64_rule():
    rng = np.random.default_rng(0)
    draws = np.round(rng.standard_normal((32, 300)) * 3).astype(np.float32)  # many ties
    draws[3, 5] = np.nan
    draws[7, :] = 0.0
    draws[9, 10], draws[9, 11] = -0.0, 0.0
    segments = [slice(0, 120), slice(120, 300)]
    np.testing.assert_array_equal(
        quota.rank_within(draws, segments), quota.rank_within(draws.astype(np.float64), segments)
    )
