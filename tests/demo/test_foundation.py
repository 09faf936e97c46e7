"""Step 1: every API service answers ready, refuses a missing token, reads every role."""

from services.demo import foundation
from shared.auth import ROLES
from tests.support import serving


def test_each_service_answers_and_reads_every_role(make_app, demo_context, capsys):
    with serving(make_app("survey")) as survey, serving(make_app("scoring")) as scoring, \
            serving(make_app("inspection")) as inspection:
        foundation.run(demo_context(survey=survey, scoring=scoring, inspection=inspection))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "== 1. The suite answers =="
    for line, service in zip(lines[1:4], ("survey", "scoring", "inspection"), strict=True):
        assert line.split()[:2] == [service, "ready"] and "no-token=401" in line
    roles = [line.split()[2] for line in lines[4:]]
    assert roles == list(ROLES)
    assert "-> scoring sees sub=demo-unit role=unit unit=T01" in lines[4 + ROLES.index("unit")]
