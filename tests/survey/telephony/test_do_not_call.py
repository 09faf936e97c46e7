"""The do-not-call list: numbers kept as keyed hashes only, every number valid or none
added, numbers already on it counted as duplicates."""

from __future__ import annotations

from sqlalchemy import select

from services.survey.models.telephony import DoNotCall
from services.survey.telephony.vault import vault

URL = "/api/v1/telephony/do-not-call"


def test_numbers_go_on_the_list_as_hashes(survey_client, survey_app, auth):
    planner = auth("planner")
    added = survey_client.post(URL, headers=planner, json={
        "numbers": ["139 0001 0003", "+8613900010004", "13900010003"]})
    assert added.status_code == 200
    assert added.json == {"rows": 3, "imported": 2, "duplicates": 1, "do_not_call": 0}
    again = survey_client.post(URL, headers=planner, json={"numbers": ["13900010004"]})
    assert again.json == {"rows": 1, "imported": 0, "duplicates": 1, "do_not_call": 0}
    with survey_app.extensions["kaoping"].sessions() as session:
        rows = session.scalars(select(DoNotCall)).all()
    assert {row.number_hash for row in rows} == {vault().digest("+8613900010003"),
                                                 vault().digest("+8613900010004")}
    assert {row.source for row in rows} == {"api"}
    assert survey_client.post(URL, headers=auth("analyst"),
                              json={"numbers": ["13900010005"]}).status_code == 403


def test_an_invalid_number_is_named_and_nothing_is_added(survey_client, survey_app, auth):
    refused = survey_client.post(URL, headers=auth("planner"), json={
        "numbers": ["13900010005", "12", "not a number"]})
    assert refused.status_code == 422
    assert set(refused.json["errors"]) == {"numbers.1", "numbers.2"}
    with survey_app.extensions["kaoping"].sessions() as session:
        assert session.scalars(select(DoNotCall)).all() == []
