"""The demo's portal step: one person per role, a password printed once, each signs in
over HTTP and opens a home page that reads the services."""

import re

import requests
from sqlalchemy import select

from services.demo import portal_people
from services.portal import passwords
from services.portal.models.person import Person
from shared.config import county_today
from tests.portal.portal_support import person_token
from tests.support import serving


def test_one_person_per_role_signs_in(county_portal, county, engines, db, demo_context,
                                      capsys, monkeypatch):
    # The county's self-checks are of this month (the demo's, of the first half of 2026).
    monkeypatch.setattr(portal_people, "MONTHS", [county_today().strftime("%Y-%m")])
    with serving(county_portal) as url:
        ctx = demo_context(portal=url, inspection=county.inspection_url,
                           scoring=county.scoring_url,
                           portal_database_url=engines["portal"].url
                           .render_as_string(hide_password=False))
        portal_people.run(ctx)
    out = capsys.readouterr().out
    shown = dict(re.findall(r"(demo-[a-z]+) +password (\S+) +home page 200", out))
    assert set(shown) == {username for username, *_ in portal_people.PEOPLE}
    found = {p.username: p for p in db.scalars(select(Person))}
    assert {p.role for p in found.values()} == {"admin", "planner", "inspector", "unit",
                                                 "analyst", "leader"}
    for username, password in shown.items():
        assert passwords.verify(found[username].password_hash, password)
    assert re.search(r"planner +demo-planner +password \S+ +home page 200, [1-9]\d* rows", out)
    assert f"Sign in at {url}/" in out
    # The unit reporter acts for T01 (an open order and a key task; T02 has no task): the
    # month's indicators, a value corrected through the form, its key task, its order.
    assert re.search(r"unit +demo-unit +password \S+ +home page 200, \d+ rows \(unit T01\)",
                     out), out
    unit = re.search(r"Unit pages of demo-unit \(T01\): \S+ \(200, 3 indicators, one value "
                     r"corrected there with a reason: 2 versions in its history\), key tasks "
                     r"\(200, 1\), rectification orders \(200, 1\)", out)
    assert unit, out
    history = requests.get(f"{county.scoring_url}/api/v1/self-checks/history",
                           params={"unit": "T01", "period": county_today().strftime("%Y-%m")},
                           headers=person_token("demo-unit", "unit", "T01"), timeout=10).json()
    corrected = [v for v in history if v["version"] == 2]
    assert len(corrected) == 1 and corrected[0]["reason"].startswith("核对原始台账后更正")
    first = next(v for v in history if v["indicator"] == corrected[0]["indicator"]
                 and v["version"] == 1)
    assert corrected[0]["actual"] == first["actual"] + 1
    assert corrected[0]["target"] == first["target"]          # the rest as the form showed it
    # The inspector's field pages, with the plan for today the step adds (three townships).
    field = re.search(rf"Field pages of demo-inspector .*: {url}/field/ \(200, 3 visits today; "
                      rf"e\.g\. {url}/field/visits/(\d+)\)", out)
    assert field, out
    # The leader's dashboard: the county's published run, its peer groups' charts drawn.
    board = re.search(rf"Dashboard of demo-leader: {url}/dashboard/ \(200, 1 published runs; "
                      rf"{url}/dashboard/runs/(\d+): (\d+) charts drawn\)", out)
    assert board and board.group(1) == str(county.ids["run_published"]), out
    assert int(board.group(2)) == 2  # the county's two peer groups
    # The planner's console shows the county's polls, plans and runs.
    for path, rows in (("/polls/", 1), ("/campaigns/", 0), ("/plans/", 3), ("/runs", 2)):
        assert f"{url}{path} (200, {rows} rows)" in out, out
