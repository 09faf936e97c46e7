"""The Monte Carlo tests' scheme and table: 40 units in three peer groups; P (poll) and
Q (inspection) carry standard errors, S (self-check, lower is better) is exact, all three
z-scored within the groups; and a nested variant with a geometric dimension and an exact
T-scored S2."""

from __future__ import annotations

import numpy as np

from services.scoring.engine import Table


def document():
    return {
        "missing": "reweight",
        "root": {
            "id": "total",
            "aggregation": "arithmetic",
            "weighting": {"method": "equal"},
            "children": [
                {
                    "id": "P",
                    "source": "poll",
                    "direction": "higher",
                    "unit_of_measure": "%",
                    "normalisation": {"method": "zscore"},
                },
                {
                    "id": "Q",
                    "source": "inspection",
                    "direction": "higher",
                    "unit_of_measure": "",
                    "normalisation": {"method": "zscore"},
                },
                {
                    "id": "S",
                    "source": "self_check",
                    "direction": "lower",
                    "unit_of_measure": "",
                    "normalisation": {"method": "zscore"},
                },
            ],
        },
    }


def noisy_table() -> Table:
    """40 units in groups G0..G2; P and Q carry standard errors of 1 to 5, S none."""
    rng = np.random.default_rng(3)
    n = 40
    units = [f"U{i:02d}" for i in range(n)]
    groups = [f"G{i % 3}" for i in range(n)]
    values = rng.normal(60, 10, (n, 3))
    se = np.column_stack([rng.uniform(1, 5, n), rng.uniform(1, 5, n), np.full(n, np.nan)])
    return Table(units, groups, ["P", "Q", "S"], values, se)


def nested_document():
    """P and Q under a geometric dimension with an exact T-scored S2; S alone in another."""
    leaf = {"direction": "higher", "unit_of_measure": ""}
    return {
        "missing": "reweight",
        "root": {
            "id": "total",
            "weighting": {"method": "expert"},
            "children": [
                {
                    "id": "D1",
                    "weight": 0.7,
                    "aggregation": "geometric",
                    "weighting": {"method": "equal"},
                    "children": [
                        {
                            "id": "P",
                            "source": "poll",
                            **leaf,
                            "normalisation": {"method": "tscore"},
                        },
                        {
                            "id": "S2",
                            "source": "direct",
                            **leaf,
                            "normalisation": {"method": "minmax"},
                        },
                        {
                            "id": "Q",
                            "source": "inspection",
                            **leaf,
                            "normalisation": {"method": "percentile"},
                        },
                    ],
                },
                {
                    "id": "D2",
                    "weight": 0.3,
                    "weighting": {"method": "equal"},
                    "children": [
                        {
                            "id": "S",
                            "source": "self_check",
                            **leaf,
                            "direction": "lower",
                            "normalisation": {"method": "tscore", "scope": "all"},
                        }
                    ],
                },
            ],
        },
        "overrides": [{"peer_group": "G1", "normalisation": {"S": {"method": "percentile"}}}],
    }

