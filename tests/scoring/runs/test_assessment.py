"""The pure parts of a run's computation: pruning a scheme and excluding by unit kind."""

import numpy as np
import pytest

from services.scoring.assessment import exclude_by_kind, prune
from services.scoring.engine.weights import ahp


def _leaf(node_id, **extra):
    return {"id": node_id, "source": "direct", "direction": "higher", "unit_of_measure": "",
            **extra}


DOCUMENT = {
    "missing": "reweight",
    "root": {"id": "total", "weighting": {"method": "ahp", "matrix": [
        [1, 3, 5], [1 / 3, 1, 5 / 3], [1 / 5, 3 / 5, 1]]},
        "children": [
            {"id": "poll", "children": [_leaf("sat", source="poll", kinds=["township"],
                                              weight=1.0)]},
            {"id": "work", "children": [_leaf("a", weight=0.5), _leaf("b", weight=0.5)]},
            {"id": "data", "children": [_leaf("c", weight=1.0)]}]},
    "overrides": [{"peer_group": "G1", "weights": {"a": 0.2, "b": 0.8}, "exclude": ["sat"]}],
}


def test_prune_drops_empty_nodes_and_their_ahp_rows_and_override_references():
    doc, removed = prune(DOCUMENT, {"a", "b", "c"})
    assert removed == ["sat", "poll"]
    assert [c["id"] for c in doc["root"]["children"]] == ["work", "data"]
    matrix = doc["root"]["weighting"]["matrix"]
    assert matrix == [[1, 5 / 3], [3 / 5, 1]]
    # The kept children keep their relative AHP weights (3 : 5/3... of the full matrix).
    full = ahp(np.array(DOCUMENT["root"]["weighting"]["matrix"], float)).weights
    kept = ahp(np.array(matrix, float)).weights
    assert kept == pytest.approx(full[1:] / full[1:].sum())
    assert doc["overrides"][0]["exclude"] == []
    assert DOCUMENT["root"]["children"][0]["id"] == "poll"  # the input is not changed
    assert prune(DOCUMENT, set()) == (None, ["sat", "poll", "a", "b", "work", "c", "data",
                                             "total"])


def test_kinds_exclude_a_leaf_for_groups_without_such_units():
    units = [{"code": "T1", "kind": "township", "peer_group": "TS"},
             {"code": "D1", "kind": "department", "peer_group": "G1"},
             {"code": "D2", "kind": "department", "peer_group": "G2"}]
    doc, excluded = exclude_by_kind(DOCUMENT, units)
    assert excluded == {"G2": ["sat"]}  # G1 excludes it already
    by_group = {o["peer_group"]: o for o in doc["overrides"]}
    assert by_group["G2"]["exclude"] == ["sat"] and "TS" not in by_group


def test_a_flat_document_is_read_as_its_tree():
    from services.scoring.assessment import nested_document

    flat = {"missing": "reweight", "nodes": [
        {"id": "total", "weighting": {"method": "equal"}},
        {"id": "a", "parent": "total", **_leaf("a")},
        {"id": "b", "parent": "total", **_leaf("b")}]}
    nested = nested_document(flat)
    assert "nodes" not in nested and nested["missing"] == "reweight"
    assert [c["id"] for c in nested["root"]["children"]] == ["a", "b"]
    assert nested_document(DOCUMENT) is DOCUMENT


def test_a_runs_method_record_carries_warnings_and_absent_indicators():
    from services.scoring.assessment import compute_snapshot

    document = {"missing": "fail", "root": {"id": "total", "children": [
        _leaf("gdp", weight=0.5, transform={"kind": "log"},
              normalisation={"method": "goalposts", "min": 100, "max": 75000}),
        _leaf("c", weight=0.5),
        _leaf("sat", source="poll", weight=0.0)]}}
    units = [{"code": f"U{i}", "peer_group": "G1", "kind": "department"} for i in range(3)]
    rows = [[u["code"], "gdp", "", value, None] for u, value in
            zip(units, (900, 5e3, 4e4), strict=True)]
    rows += [[u["code"], "c", "", float(i), None] for i, u in enumerate(units)]
    snapshot = {"kind": "monthly", "period": "2026-06", "sources": {}, "units": units,
                "scheme_version": {"id": 1, "scheme": "s", "version": 1, "document": document},
                "segments": [{"role": "snapshot", "period": "2026-06", "rows": rows}]}
    method = compute_snapshot(snapshot, {"seed": 1, "draws": 0}).method
    assert method["final"]["engine"]["absent_indicators"] == ["sat"]
    assert method["final"]["pruned"] == ["sat"]
    assert len(method["warnings"]) == 1
    assert method["warnings"][0].startswith("2026-06: gdp: every value after the log transform "
                                            "lies outside the goalposts [100, 75000]")
    assert method["warnings"][0][len("2026-06: "):] in method["final"]["engine"]["warnings"]
