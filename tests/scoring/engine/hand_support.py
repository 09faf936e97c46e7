"""The scheme and table that the pipeline, model and evaluation tests score, and their
composite computed by hand in plain Python: seven units in two peer groups, a geometric
dimension A (I1 on goalposts 0..100, I2 lower-is-better min-max within the group) and I3
T-scored across all units."""

from __future__ import annotations

import math

import numpy as np

from services.scoring.engine import Table

UNITS = ["a1", "a2", "a3", "a4", "b1", "b2", "b3"]
GROUPS = ["A", "A", "A", "A", "B", "B", "B"]
X1 = [20.0, 55.0, 90.0, 120.0, 40.0, 70.0, 10.0]  # goalposts 0..100
X2 = [3.0, 1.0, 2.0, 5.0, 4.0, 2.0, 9.0]  # lower is better, min-max within group
X3 = [7.0, 3.0, 5.0, 6.0, 9.0, 1.0, 4.0]  # T-score across all units


def document(missing="fail", **extra):
    return {
        "missing": missing,
        "root": {
            "id": "total",
            "aggregation": "arithmetic",
            "weighting": {"method": "expert"},
            "children": [
                {
                    "id": "A",
                    "weight": 0.6,
                    "aggregation": "geometric",
                    "weighting": {"method": "expert"},
                    "children": [
                        {
                            "id": "I1",
                            "source": "poll",
                            "direction": "higher",
                            "unit_of_measure": "%",
                            "weight": 0.75,
                            "normalisation": {"method": "goalposts", "min": 0, "max": 100},
                        },
                        {
                            "id": "I2",
                            "source": "self_check",
                            "direction": "lower",
                            "unit_of_measure": "",
                            "weight": 0.25,
                            "normalisation": {"method": "minmax"},
                        },
                    ],
                },
                {
                    "id": "I3",
                    "source": "inspection",
                    "direction": "higher",
                    "unit_of_measure": "",
                    "weight": 0.4,
                    "normalisation": {"method": "tscore", "scope": "all"},
                },
            ],
        },
        **extra,
    }


def table(x1=X1, x2=X2, x3=X3, se=None, rates=None):
    values = np.column_stack([x1, x2, x3]).astype(float)
    se = np.full_like(values, np.nan) if se is None else se
    t = Table(list(UNITS), list(GROUPS), ["I1", "I2", "I3"], values, se)
    if rates is not None:
        t.discrepancy = np.array(rates, dtype=float)
    return t


def by_hand(x1, x2, x3, floor=0.01, w2=None):
    """Composite computed with plain Python, unit by unit."""
    s1 = [min(max(v, 0.0), 100.0) for v in x1]
    s2 = []
    for u, v in enumerate(x2):
        peers = [x2[i] for i in range(len(x2)) if GROUPS[i] == GROUPS[u]]
        s2.append(100 * (max(peers) - v) / (max(peers) - min(peers)))
    mean = sum(x3) / len(x3)
    sd = math.sqrt(sum((v - mean) ** 2 for v in x3) / (len(x3) - 1))
    s3 = [50 + 10 * (v - mean) / sd for v in x3]
    out = []
    for u in range(len(x1)):
        wa, wb = 0.75, (0.25 if w2 is None else w2[u])
        a = math.exp(
            (wa * math.log(max(s1[u], floor)) + wb * math.log(max(s2[u], floor))) / (wa + wb)
        )
        out.append(0.6 * a + 0.4 * s3[u])
    return out, s1, s2, s3

