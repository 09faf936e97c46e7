"""Unknown keys are refused everywhere in a scheme document, by path, with the close
match; stored documents are still read (issue 11, item 1)."""

from __future__ import annotations

import copy

import pytest

from services.demo.county import generate
from services.scoring.scheme_document import indicators, scheme_tree, validate_document
from shared.errors import ValidationFailed
from tests.scoring.scoring_intake_support import SCHEME, seed


def _errors(document, peer_groups=None):
    with pytest.raises(ValidationFailed) as caught:
        validate_document(document, peer_groups)
    return caught.value.errors


def _with(change):
    document = copy.deepcopy(SCHEME)
    change(document)
    return document


def _leaf(document, index=0):
    return document["root"]["children"][0]["children"][index]


@pytest.mark.parametrize("change, path, reason", [
    (lambda d: d.update(normalization={}), "normalization",
     "unknown key 'normalization'; expected one of code, engine, missing, name_en, name_zh, "
     "nodes, overrides, root"),
    (lambda d: d.update(mising="reweight"), "mising", "did you mean 'missing'?"),
    (lambda d: d["root"].update(weigthing={"method": "equal"}), "root.weigthing",
     "did you mean 'weighting'?"),
    (lambda d: _leaf(d).update(normalization={"method": "minmax"}),
     "root.children[0].children[0].normalization",
     "unknown key 'normalization'; did you mean 'normalisation'?"),
    (lambda d: _leaf(d).update(Direction="lower"), "root.children[0].children[0].Direction",
     "did you mean 'direction'?"),
    (lambda d: _leaf(d).update(normalisation={"method": "minmax", "winsorize": 0.05}),
     "root.children[0].children[0].normalisation.winsorize", "did you mean 'winsorise'?"),
    (lambda d: _leaf(d).update(normalisation={"method": "tscore", "min": 0}),
     "root.children[0].children[0].normalisation.min", "read only by method goalposts"),
    (lambda d: _leaf(d).update(transform={"kind": "cap", "valeu": 5, "value": 5}),
     "root.children[0].children[0].transform.valeu", "did you mean 'value'?"),
    (lambda d: _leaf(d).update(transform={"kind": "log", "value": 5}),
     "root.children[0].children[0].transform.value", "a log transform takes no 'value'"),
    (lambda d: d["root"]["children"][0].update(weighting={"method": "equal", "matrix": []}),
     "root.children[0].weighting.matrix", "read only by method ahp"),
    (lambda d: d["root"]["children"][0].update(direction="higher"),
     "root.children[0].direction", "only an indicator (a node without children)"),
    (lambda d: d["root"]["children"][1].update(field="actual"),
     "root.children[1].field", "'field' is read only for source self_check"),
    (lambda d: d["root"]["children"][1].update(parent="root"),
     "root.children[1].parent", "'parent' to the flat form"),
    (lambda d: d.update(overrides=[{"peer_group": "G1", "weight": {"tasks": 0.2}}]),
     "overrides[0].weight", "did you mean 'weights'?"),
    (lambda d: d.update(overrides=[{"peer_group": "G1", "normalisation": {
        "tasks": {"method": "minmax", "scoep": "all"}}}]),
     "overrides[0].normalisation.tasks.scoep", "did you mean 'scope'?"),
    (lambda d: d.update(engine={"fay_heriot": "REML"}), "engine.fay_heriot",
     "did you mean 'fay_herriot'?"),
    (lambda d: d.update(engine={"credibility": {"mode": "weight", "slop": 1}}),
     "engine.credibility.slop", "did you mean 'slope'?"),
    (lambda d: d.update(engine={"pinned": ["root"]}), "engine.pinned", "unknown key 'pinned'"),
])
def test_an_unknown_key_is_refused_at_its_path(change, path, reason):
    errors = _errors(_with(change), {"G1", "TS"})
    assert list(errors) == [path]  # one problem, said once
    assert len(errors[path]) == 1 and reason in errors[path][0]


def test_every_unknown_key_is_listed_at_once_in_the_flat_form():
    document = {"title": "x", "nodes": [
        {"id": "r", "weighting": {"method": "equal"}, "children": []},
        {"id": "a", "parent": "r", "source": "direct", "direction": "higher",
         "unit_of_measure": "", "normalisation": {"method": "goalposts", "min": 0, "max": 1,
                                                  "maxx": 2}},
        {"id": "b", "parent": "r", "source": "key_task", "metric": "on_time_rate",
         "direction": "higher", "unit_of_measure": "", "statistc": "mean"}]}
    errors = _errors(document)
    assert set(errors) == {"title", "nodes[0].children", "nodes[1].normalisation.maxx",
                           "nodes[2].statistc"}
    assert errors["nodes[2].statistc"] == ["unknown key 'statistc'; did you mean 'statistic'?"]
    assert "nested form" in errors["nodes[0].children"][0]


def test_every_documented_key_is_accepted():
    document = {
        "code": "c", "name_zh": "方案", "name_en": "Scheme", "missing": "reweight",
        "engine": {"advanced": {"share": 0.2}, "fay_herriot": "REML", "geometric_floor": 0.01,
                   "credibility": {"mode": "value", "slope": 1, "threshold": 0, "floor": 0}},
        "root": {"id": "r", "name_zh": "总", "name_en": "Total", "aggregation": "arithmetic",
                 "weighting": {"method": "ahp", "matrix": [[1, 1], [1, 1]],
                               "ri_table": "saaty"},
                 "children": [
                     {"id": "p", "weight": 0.5, "source": "poll", "direction": "higher",
                      "unit_of_measure": "rate", "statistic": "proportion", "question": "q1",
                      "category": "1", "shrinkage": "REML", "kinds": ["township"],
                      "normalisation": {"method": "goalposts", "min": 0, "max": 1,
                                        "scope": "all", "winsorise": 0.05}},
                     {"id": "s", "weight": 0.5, "source": "self_check", "direction": "lower",
                      "unit_of_measure": "", "field": "actual", "allow_negative": True,
                      "transform": {"kind": "ratio", "numerator": "actual",
                                    "denominator": "target"}}]},
        "overrides": [{"peer_group": "G1", "weights": {"p": 0.5, "s": 0.5}, "exclude": ["p"],
                       "normalisation": {"s": {"method": "minmax"}}}],
    }
    validate_document(document, {"G1"})
    validate_document(generate().scheme)


def test_engine_options_and_shrinkage_are_checked_at_intake():
    errors = _errors(_with(lambda d: d.update(engine={"draws": -1})))
    assert errors == {"engine": ["bad options"]}
    errors = _errors(_with(lambda d: d.update(engine={"credibility": {"mode": "both"}})))
    assert errors == {"engine": ["bad credibility rule"]}
    errors = _errors(_with(lambda d: d["root"]["children"][2].update(shrinkage="EB")))
    assert errors == {"root.children[2].shrinkage": ["one of REML, ML, none (Fay-Herriot)"]}


def test_override_weights_may_not_leave_a_node_without_weight():
    document = _with(lambda d: d.update(overrides=[
        {"peer_group": "G1", "weights": {"sc_rate": 0, "sc_count": 0, "sc_delta": 0}}]))
    errors = _errors(document, {"G1"})
    assert errors == {"overrides[0].weights": [
        "at work: the weights of sc_rate, sc_count, sc_delta are all 0: node 'work' would "
        "have no score"]}


def test_a_stored_document_with_an_unknown_key_is_still_read():
    stored = _with(lambda d: _leaf(d).update(note="kept from an older version"))
    assert "root.children[0].children[0].note" in _errors(stored)
    assert scheme_tree(stored)["id"] == "root"
    assert [leaf["id"] for leaf in indicators(stored)][:1] == ["sc_rate"]


def test_the_service_refuses_unknown_keys_on_every_upload(scoring_client, auth):
    headers = seed(scoring_client, auth)
    document = _with(lambda d: _leaf(d).update(normalization={"method": "minmax"}))
    for response in (
            scoring_client.post("/api/v1/schemes/s/versions", json=document, headers=headers),
            scoring_client.put("/api/v1/schemes/s/versions/1", json=document, headers=headers),
            scoring_client.post("/api/v1/schemes/validate", json=document, headers=headers)):
        assert response.status_code == 422
        assert response.json["errors"] == {"root.children[0].children[0].normalization": [
            "unknown key 'normalization'; did you mean 'normalisation'?"]}


def test_checks_added_since_a_document_was_stored_do_not_stop_reading_it():
    stored = _with(lambda d: (d.update(engine={"draws": -1}),
                              d["root"]["children"][2].update(shrinkage="EB")))
    assert set(_errors(stored)) == {"engine", "root.children[2].shrinkage"}
    assert [leaf["id"] for leaf in indicators(stored)] == [
        "sc_rate", "sc_count", "sc_delta", "tasks", "dir_env"]
