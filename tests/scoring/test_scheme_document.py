"""Scheme documents: JSON and YAML, precise validation errors, versions, freezing."""

import copy

import pytest
import yaml

from services.demo.county import generate
from services.scoring.scheme_document import indicators, validate_document
from shared.errors import ValidationFailed
from tests.scoring.scoring_intake_support import SCHEME


def _leaf(node_id, weight=None, **extra):
    node = {"id": node_id, "source": "self_check", "direction": "higher",
            "unit_of_measure": "%", **extra}
    if weight is not None:
        node["weight"] = weight
    return node


def _errors(document, peer_groups=None):
    with pytest.raises(ValidationFailed) as caught:
        validate_document(document, peer_groups)
    return caught.value.errors


def test_sibling_weights_must_sum_to_one_at_every_level():
    document = {"root": {"id": "r", "children": [
        {"id": "d1", "weight": 0.5, "children": [_leaf("a", 0.7), _leaf("b", 0.2)]},
        {"id": "d2", "weight": 0.4, "children": [_leaf("c", 1)]}]}}
    errors = _errors(document)
    assert errors == {"root.children": ["weights of d1, d2 sum to 0.9, not 1"],
                      "root.children[0].children": ["weights of a, b sum to 0.9, not 1"]}
    missing = _errors({"root": {"id": "r", "children": [_leaf("a", 1), _leaf("b")]}})
    assert "root.children[1].weight" in missing


def test_unknown_source_direction_and_parameters_are_named_by_path():
    document = {"root": {"id": "r", "weighting": {"method": "equal"}, "children": [
        _leaf("a", source="twitter"),
        _leaf("b", direction="up", unit_of_measure=None),
        {"id": "c", "source": "key_task", "direction": "higher", "unit_of_measure": "rate"},
        _leaf("d", transform={"kind": "ratio", "numerator": "actual", "denominator": "budget"},
              normalisation={"method": "goalposts", "min": 10, "max": 5}),
        _leaf("a"),
    ]}}
    errors = _errors(document)
    assert "unknown source 'twitter'" in errors["root.children[0].source"][0]
    assert "root.children[1].direction" in errors and "root.children[1].unit_of_measure" in errors
    assert "metric" in errors["root.children[2].metric"][0]
    assert "root.children[3].transform.denominator" in errors
    assert errors["root.children[3].normalisation.max"] == ["must be greater than min (10)"]
    assert "duplicate id 'a'" in errors["root.children[4].id"][0]


@pytest.mark.parametrize("method", ["zscore", "robust_z"])
def test_z_scores_under_a_geometric_mean_are_refused_at_upload(method):
    document = {"root": {"id": "r", "aggregation": "geometric",
                         "weighting": {"method": "equal"}, "children": [
                             _leaf("a", normalisation={"method": method}),
                             _leaf("b", normalisation={"method": "tscore"})]}}
    errors = _errors(document)
    assert list(errors) == ["root.children[0].normalisation.method"]
    assert "geometric mean" in errors["root.children[0].normalisation.method"][0]
    document["root"]["aggregation"] = "arithmetic"
    validate_document(document)


def test_flat_nodes_report_unknown_parents_and_cycles():
    document = {"nodes": [
        {"id": "r"},
        {**_leaf("a", 1), "parent": "r"},
        {"id": "x", "parent": "y", "weight": 1, "children": None},
        {"id": "y", "parent": "x"},
        {**_leaf("z"), "parent": "ghost"},
    ]}
    errors = _errors(document)
    assert errors["nodes[4].parent"] == ["unknown parent 'ghost'"]
    assert errors["nodes[2].parent"] == ["cycle x -> y -> x; it cannot reach the root"]
    assert errors["nodes[3].parent"] == ["cycle y -> x -> y; it cannot reach the root"]
    two_roots = _errors({"nodes": [{"id": "r"}, {"id": "s"}]})
    assert "exactly one root" in two_roots["nodes"][0]


def test_flat_document_errors_point_at_the_node_entry():
    document = {"nodes": [{"id": "r"}, {**_leaf("a", 0.3), "parent": "r"},
                          {**_leaf("b", 0.3, source="rumour"), "parent": "r"}]}
    errors = _errors(document)
    assert errors == {"nodes[0].children": ["weights of a, b sum to 0.6, not 1"],
                      "nodes[2].source": [
                          "unknown source 'rumour'; one of poll, inspection, self_check, "
                          "key_task, instruction, direct"]}
    tree = validate_document({"nodes": [{"id": "r"}, {**_leaf("a", 1), "parent": "r"}]})
    assert tree == {"id": "r", "children": [_leaf("a", 1)]}


@pytest.mark.parametrize("matrix, path, reason", [
    ([[1, 2], [0.5, 1], [1, 1]], "root.weighting.matrix", "3x3"),
    ([[1, 2, 0], [0.5, 1, 2], [1, 0.5, 1]], "root.weighting.matrix[0][2]", "positive"),
    ([[1, 2, 4], [0.5, 1, 2], [0.25, 0.4, 1]], "root.weighting.matrix[2][1]", "1/2"),
    ([[2, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]], "root.weighting.matrix[0][0]", "diagonal"),
    ([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]], "root.weighting.matrix", "CR ="),
])
def test_ahp_matrix_must_be_positive_reciprocal_and_consistent(matrix, path, reason):
    document = {"root": {"id": "r", "weighting": {"method": "ahp", "matrix": matrix},
                         "children": [_leaf("a"), _leaf("b"), _leaf("c")]}}
    errors = _errors(document)
    assert any(reason in r for r in errors[path]), errors


def test_consistent_ahp_passes_and_saaty_cr_matches_an_independent_computation():
    import numpy as np

    matrix = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    document = {"root": {"id": "r", "weighting": {"method": "ahp", "matrix": matrix},
                         "children": [_leaf("a"), _leaf("b"), _leaf("c")]}}
    validate_document(document)
    # Saaty's example: lambda_max 3.0385, CR = 0.0332 < 0.1 with RI(3) = 0.58
    lam = max(np.linalg.eigvals(np.array(matrix)).real)
    assert round(((lam - 3) / 2) / 0.58, 3) == 0.033


def test_overrides_check_peer_groups_nodes_and_weights():
    document = copy.deepcopy(SCHEME)
    document["overrides"] = [
        {"peer_group": "XX", "weights": {"tasks": 0.5}},
        {"peer_group": "G1", "weights": {"nope": 1}, "exclude": ["ghost"]},
    ]
    errors = _errors(document, {"G1", "TS"})
    assert errors["overrides[0].peer_group"] == ["unknown peer group 'XX'"]
    assert "overrides[1].weights.nope" in errors and "overrides[1].exclude" in errors
    document["overrides"] = [{"peer_group": "G1", "weights": {"tasks": 0.1}}]
    errors = _errors(document, {"G1"})
    assert errors == {"overrides[0].weights": ["at root: weights of work, tasks, dir_env sum to "
                                               "0.9, not 1"]}
    document["overrides"] = [{"peer_group": "G1", "weights": {"tasks": 0.1, "dir_env": 0.3},
                              "exclude": ["sc_delta"]}]
    assert validate_document(document, {"G1"})["id"] == "root"


def test_demo_scheme_is_valid_as_json_and_yaml_and_uses_every_source():
    document = generate().scheme
    again = yaml.safe_load(yaml.safe_dump(document, allow_unicode=True))
    assert validate_document(again) == validate_document(document)
    assert {leaf["source"] for leaf in indicators(document)} == {
        "poll", "inspection", "self_check", "key_task", "direct"}
