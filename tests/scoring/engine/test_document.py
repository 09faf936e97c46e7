"""Reading scheme documents (the shape services/scoring/scheme_document.py validates)."""

from __future__ import annotations

import numpy as np
import pytest

from services.scoring.engine import EngineError, Table, compute, from_document
from services.scoring.scheme_document import validate_document

NESTED = {
    "missing": "impute_group_mean",
    "root": {
        "id": "total",
        "aggregation": "arithmetic",
        "weighting": {"method": "ahp", "matrix": [[1, 2], [0.5, 1]]},
        "children": [
            {
                "id": "D1",
                "aggregation": "geometric",
                "weighting": {"method": "equal"},
                "children": [
                    {
                        "id": "a",
                        "source": "poll",
                        "direction": "higher",
                        "unit_of_measure": "%",
                        "normalisation": {"method": "tscore", "winsorise": 0.05},
                    },
                    {
                        "id": "b",
                        "source": "key_task",
                        "metric": "progress_lag",
                        "direction": "lower",
                        "unit_of_measure": "",
                        "normalisation": {"method": "percentile", "scope": "all"},
                    },
                ],
            },
            {
                "id": "c",
                "source": "direct",
                "direction": "higher",
                "unit_of_measure": "",
                "normalisation": {"method": "goalposts", "min": 0, "max": 10},
            },
        ],
    },
    "overrides": [{"peer_group": "G1", "weights": {"a": 2, "b": 1}}],
}


def flat(doc):
    nodes = []

    def walk(node, parent):
        nodes.append({k: v for k, v in node.items() if k != "children"} | {"parent": parent})
        for child in node.get("children", []):
            walk(child, node["id"])

    walk(doc["root"], None)
    return {k: v for k, v in doc.items() if k != "root"} | {"nodes": nodes}


def test_nested_document_is_read():
    scheme = from_document(NESTED)
    assert [i.id for i in scheme.indicators] == ["a", "b", "c"]
    assert [n.id for n in scheme.nodes()] == ["D1", "total"]
    a, b, c = scheme.indicators
    assert a.normalisation.method == "tscore" and a.normalisation.winsorise == 0.05
    assert b.direction == -1 and b.normalisation.scope == "all"
    assert (c.normalisation.lower, c.normalisation.upper) == (0, 10)
    assert scheme.missing == "impute_group_mean"
    assert scheme.overrides[0].weights == {"a": 2.0, "b": 1.0}


def test_flat_document_gives_the_same_scheme():
    assert from_document(flat(NESTED)) == from_document(NESTED)


def test_errors_are_collected_with_paths():
    bad = {
        "missing": "guess",
        "root": {
            "id": "t",
            "aggregation": "median",
            "children": [
                {
                    "id": "x",
                    "source": "rumour",
                    "direction": "up",
                    "normalisation": {"method": "softmax"},
                },
                {"id": "x", "source": "poll", "direction": "higher"},
            ],
        },
    }
    with pytest.raises(EngineError) as err:
        from_document(bad)
    errors = err.value.errors
    assert {
        "missing",
        "root.aggregation",
        "root.children[0].source",
        "root.children[0].direction",
        "root.children[0].normalisation",
        "root.children[1].id",
    } <= set(errors)


def test_scheme_runs_end_to_end_with_group_override():
    rng = np.random.default_rng(5)
    units = [f"u{i}" for i in range(12)]
    groups = ["G1"] * 6 + ["G2"] * 6
    values = rng.uniform(1, 9, (12, 3))
    result = compute(
        from_document(NESTED),
        Table(units, groups, ["a", "b", "c"], values, np.full_like(values, np.nan)),
    )
    assert result.ahp["total"]["cr"] == 0.0
    assert result.weights["total"]["D1"] == pytest.approx(2 / 3)
    assert np.all(np.isfinite(result.composite))


def test_documents_accepted_by_the_intake_validator_are_read():
    tree = validate_document(NESTED)
    assert from_document({**NESTED, "root": tree}) == from_document(NESTED)
