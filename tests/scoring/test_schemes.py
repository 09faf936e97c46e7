"""The scoring service's own API surface for scheme versions: JSON and YAML bodies, 422
with paths, 409 for a frozen version."""

import copy

import yaml

from services.scoring.schemes import freeze_scheme_version
from tests.scoring.scoring_intake_support import SCHEME, seed


def test_versions_over_http_in_json_and_yaml(scoring_client, auth):
    headers = seed(scoring_client, auth)
    response = scoring_client.post("/api/v1/schemes/s/versions", data=yaml.safe_dump(SCHEME),
                                   headers={**headers, "Content-Type": "application/yaml"})
    assert response.status_code == 201 and response.json["version"] == 2
    assert response.json["document"] == SCHEME and response.json["frozen"] is False
    listing = scoring_client.get("/api/v1/schemes/s/versions", headers=auth("analyst")).json
    assert [v["version"] for v in listing] == [1, 2] and "document" not in listing[0]
    by_id = scoring_client.get(f"/api/v1/scheme-versions/{response.json['id']}",
                               headers=auth("service")).json
    assert by_id["scheme"] == "s" and by_id["version"] == 2
    schemes = scoring_client.get("/api/v1/schemes", headers=headers).json
    assert [v["version"] for v in schemes[0]["versions"]] == [1, 2]
    checked = scoring_client.post("/api/v1/schemes/validate", json=SCHEME, headers=headers).json
    assert checked == {"valid": True, "indicators": 5,
                       "by_source": {"self_check": 3, "key_task": 1, "direct": 1}}
    assert scoring_client.post("/api/v1/schemes/s/versions", json=SCHEME,
                               headers=auth("analyst")).status_code == 403


def test_invalid_documents_are_422_with_paths(scoring_client, auth):
    headers = seed(scoring_client, auth)
    bad = copy.deepcopy(SCHEME)
    bad["root"]["children"][1]["source"] = "gossip"
    response = scoring_client.post("/api/v1/schemes/s/versions", json=bad, headers=headers)
    assert response.status_code == 422
    assert "root.children[1].source" in response.json["errors"]
    broken = scoring_client.post("/api/v1/schemes/s/versions", data="root: [unclosed",
                                 headers={**headers, "Content-Type": "application/yaml"})
    assert broken.status_code == 422 and "line 1" in broken.json["errors"]["document"][0]
    malformed = scoring_client.post("/api/v1/schemes/validate", data="{nope",
                                    headers={**headers, "Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert scoring_client.post("/api/v1/schemes/validate", json=[1], headers=headers).json[
        "errors"] == {"document": ["must be an object"]}
    versions = scoring_client.get("/api/v1/schemes/s/versions", headers=headers).json
    assert len(versions) == 1


def test_a_frozen_version_answers_409_to_changes(scoring_client, scoring_app, auth):
    from shared.db import session_scope

    headers = seed(scoring_client, auth)
    replaced = copy.deepcopy(SCHEME)
    replaced["root"]["children"][0]["name_en"] = "Daily work"
    draft = scoring_client.put("/api/v1/schemes/s/versions/1", json=replaced, headers=headers)
    assert draft.status_code == 200 and draft.json["document"] == replaced
    with session_scope(scoring_app.extensions["kaoping"].sessions) as session:
        version = freeze_scheme_version(session, draft.json["id"])
        assert version.frozen and version.frozen_at is not None
        assert freeze_scheme_version(session, draft.json["id"]).frozen_at == version.frozen_at
    shown = scoring_client.get("/api/v1/schemes/s/versions/1", headers=headers).json
    assert shown["frozen"] is True and shown["published"] is True
    put = scoring_client.put("/api/v1/schemes/s/versions/1", json=SCHEME, headers=headers)
    assert put.status_code == 409 and "frozen" in put.json["message"]
    assert scoring_client.delete("/api/v1/schemes/s/versions/1",
                                 headers=headers).status_code == 409
    unchanged = scoring_client.get("/api/v1/schemes/s/versions/1", headers=headers).json
    assert unchanged["document"] == replaced
    assert scoring_client.post("/api/v1/schemes/s/versions", json=SCHEME,
                               headers=headers).json["version"] == 2
    assert scoring_client.delete("/api/v1/schemes/s/versions/2", headers=headers).status_code \
        == 204
    assert scoring_client.get("/api/v1/schemes/s/versions/2", headers=headers).status_code == 404
