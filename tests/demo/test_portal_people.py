"""The demo's portal step: one person per role, a password printed once, each signs in
over HTTP and opens a home page that reads the services."""

import re

from sqlalchemy import select

from services.demo import portal_people
from services.portal import passwords
from services.portal.models.person import Person
from tests.support import serving


def test_one_person_per_role_signs_in(county_portal, county, engines, db, demo_context,
                                      capsys):
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
    # The inspector's field pages, with the plan for today the step adds (three townships).
    field = re.search(rf"Field pages of demo-inspector .*: {url}/field/ \(200, 3 visits today; "
                      rf"e\.g\. {url}/field/visits/(\d+)\)", out)
    assert field, out
    # The planner's console shows the county's polls, plans and runs.
    for path, rows in (("/polls/", 1), ("/campaigns/", 0), ("/plans/", 3), ("/runs", 2)):
        assert f"{url}{path} (200, {rows} rows)" in out, out
