"""The engine's scheme and the operations a score run makes with it: pruning, kind
exclusion and the period blend (each the same scheme as the document changed by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from services.scoring.engine import EngineError, from_document
from services.scoring.engine.scheme import BLEND_ROOT, DAY_TO_DAY
from services.scoring.engine.weights import ahp


def _leaf(node_id, **extra):
    return {"id": node_id, "source": "direct", "direction": "higher", "unit_of_measure": "",
            **extra}


RUN_DOCUMENT = {
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


def test_pruning_drops_empty_nodes_and_their_ahp_rows_and_override_references():
    scheme = from_document(RUN_DOCUMENT)
    pruned, removed = scheme.pruned({"a", "b", "c"})
    assert removed == ["sat", "poll"]
    assert [c.id for c in pruned.root.children] == ["work", "data"]
    assert pruned.root.matrix == ((1, 5 / 3), (3 / 5, 1))
    # The kept children keep their relative AHP weights (3 : 5/3... of the full matrix).
    full = ahp(np.array(scheme.root.matrix)).weights
    kept = ahp(np.array(pruned.root.matrix)).weights
    assert kept == pytest.approx(full[1:] / full[1:].sum())
    assert pruned.overrides[0].exclude == () and pruned.overrides[0].weights == {"a": 0.2,
                                                                                 "b": 0.8}
    assert scheme.root.children[0].id == "poll"  # the scheme is not changed
    assert scheme.pruned(set()) == (None, ["sat", "poll", "a", "b", "work", "c", "data",
                                           "total"])
    assert scheme.absent({"a", "b", "c"}) == ["sat"]
    # The same scheme as the document pruned by hand.
    by_hand = {**RUN_DOCUMENT, "overrides": [{**RUN_DOCUMENT["overrides"][0], "exclude": []}],
               "root": {**RUN_DOCUMENT["root"], "children": RUN_DOCUMENT["root"]["children"][1:],
                        "weighting": {"method": "ahp", "matrix": [[1, 5 / 3], [3 / 5, 1]]}}}
    assert pruned == from_document(by_hand)


def test_kinds_exclude_a_leaf_for_groups_without_such_units():
    scheme = from_document(RUN_DOCUMENT)
    assert scheme.indicators[0].kinds == ("township",) and scheme.indicators[1].kinds is None
    kinds = {"TS": {"township"}, "G1": {"department"}, "G2": {"department"}}
    excluding, excluded = scheme.excluding_kinds(kinds)
    assert excluded == {"G2": ["sat"]}  # G1 excludes it already
    by_group = {o.peer_group: o for o in excluding.overrides}
    assert by_group["G2"].exclude == ("sat",) and "TS" not in by_group
    assert excluding.overrides[0] == scheme.overrides[0]


def test_the_period_blend_is_a_root_over_day_to_day_and_the_scheme():
    blended = from_document(RUN_DOCUMENT).blended(0.7, 0.3)
    assert [c.id for c in blended.root.children] == [DAY_TO_DAY, "total"]
    assert blended == from_document({**RUN_DOCUMENT, "root": {
        "id": BLEND_ROOT, "aggregation": "arithmetic", "weighting": {"method": "expert"},
        "children": [{"id": DAY_TO_DAY, "source": "direct", "direction": "higher",
                      "normalisation": {"method": "none"}, "weight": 0.7},
                     {**RUN_DOCUMENT["root"], "weight": 0.3}]}})
    reserved = {**RUN_DOCUMENT, "root": {**RUN_DOCUMENT["root"], "id": BLEND_ROOT}}
    with pytest.raises(EngineError) as err:
        from_document(reserved).blended(0.7, 0.3)
    assert err.value.errors == {"root.id": [f"{BLEND_ROOT} and {DAY_TO_DAY} are reserved"]}
    deeper = {**RUN_DOCUMENT, "root": {**RUN_DOCUMENT["root"], "children": [
        *RUN_DOCUMENT["root"]["children"][:2],
        {"id": DAY_TO_DAY, "children": [_leaf("c", weight=1.0)]}]}}
    with pytest.raises(EngineError) as err:
        from_document(deeper).blended(0.7, 0.3)
    assert err.value.errors == {DAY_TO_DAY: [f"{BLEND_ROOT} and {DAY_TO_DAY} are reserved"]}
