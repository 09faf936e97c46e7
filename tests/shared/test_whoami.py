"""``GET /api/v1/whoami``: the token's subject, role and unit, as the service reads them."""

import pytest

from shared.auth import ROLES


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_its_identity(scoring_client, auth, role):
    unit = "T07" if role == "unit" else None
    response = scoring_client.get("/api/v1/whoami", headers=auth(role, unit, sub=f"me-{role}"))
    assert response.status_code == 200
    assert response.get_json() == {"service": "scoring", "sub": f"me-{role}", "role": role,
                                   "unit": unit}


def test_without_a_token_it_is_401(survey_client):
    assert survey_client.get("/api/v1/whoami").status_code == 401
