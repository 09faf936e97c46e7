"""The token a page calls the APIs with: the person's username, role and unit, at most
five minutes."""

import pytest

from services.portal.api_client import Apis, ApiSettings
from services.portal.models.person import Person
from shared.auth import decode_token

SETTINGS = ApiSettings("http://s", "http://c", "http://i", "k" * 40, 300, 5.0)


@pytest.mark.parametrize("role, unit, token_role", [
    ("planner", None, "planner"), ("unit", "T01", "unit"), ("leader", None, "analyst"),
    ("inspector", None, "inspector"), ("admin", None, "admin")])
def test_the_token_says_who_the_person_is(role, unit, token_role):
    apis = Apis(Person(username="ming", role=role, unit=unit), SETTINGS)
    principal = decode_token(apis.token, SETTINGS.jwt_secret)
    assert (principal.sub, principal.role, principal.unit) == ("ming", token_role, unit)
    assert apis.scoring.token == apis.survey.token == apis.inspection.token == apis.token


def test_the_token_lives_at_most_five_minutes():
    import jwt

    apis = Apis(Person(username="ming", role="planner"), SETTINGS)
    claims = jwt.decode(apis.token, SETTINGS.jwt_secret, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 300
