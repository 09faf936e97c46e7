"""Checklist templates: versions keep their item ids; items are validated by type."""

from tests.inspection.inspection_support import CHECKLIST


def test_checklist_versions_keep_item_ids(api):
    first = api.checklist()
    second = api.checklist({**CHECKLIST, "critical_cap": 50})
    assert (first["version"], second["version"]) == (1, 2)
    assert [i["item_id"] for i in second["items"]] == [i["item_id"] for i in first["items"]]
    assert second["scoring_rule_version"] == "insp-score-v1"
    versions = api.call("GET", "/checklists?code=env-spot", role="inspector")
    assert [v["version"] for v in versions] == [1, 2]


def test_checklist_validation(api):
    bad = {**CHECKLIST, "items": [
        {"item_id": "a", "text_zh": "甲", "text_en": "a", "response_type": "points"},
        {"item_id": "a", "text_zh": "乙", "text_en": "b", "response_type": "measurement"}]}
    errors = api.call("POST", "/checklists", json=bad, expect=422)["errors"]
    assert {"items.0.max_points", "items.1.item_id", "items.1.unit_of_measure",
            "items.1.tolerance"} <= set(errors)
