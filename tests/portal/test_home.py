"""Each role's home page shows what the services' APIs return for that person, read with
the person's own token; a unit person sees nothing of another unit."""

from datetime import date

import requests
from babel.numbers import format_percent

from shared.config import county_today
from tests.portal.portal_support import home, person_token


def api(url, path, headers, **params):
    response = requests.get(f"{url}/api/v1{path}", headers=headers, params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def test_the_planners_home(county_portal, county, make_person):
    _client, found, _html = home(county_portal, make_person, "plan1", "planner")
    me = person_token("plan1", "planner")
    expected = []
    for poll in api(county.survey_url, "/polls", me, status="fielding"):
        rates = api(county.survey_url, f"/polls/{poll['id']}/outcome-rates", me)["overall"]
        quotas = api(county.survey_url, f"/polls/{poll['id']}/quotas", me)
        expected.append([poll["name_zh"], poll["field_end"],
                         f"{sum(q['completes'] for q in quotas)} / "
                         f"{sum(q['target_completes'] for q in quotas)}",
                         format_percent(rates["rates"]["RR1"], "#,##0.0%", locale="zh_CN"),
                         format_percent(rates["rates"]["RR2"], "#,##0.0%", locale="zh_CN")])
    assert found["polls"][1:] == expected and len(expected) == 1
    plans = [p for p in api(county.inspection_url, "/plans", me)
             if date.fromisoformat(p["window_to"]) >= county_today()]
    assert [row[0] for row in found["plans"][1:]] == [p["name"] for p in plans]
    assert found["plans"][1][3] == "2 / 3"       # two of three visits submitted
    computed = api(county.scoring_url, "/runs", me, state="computed")
    assert [row[0].split()[0] for row in found["runs"][1:]] == [f"#{r['id']}" for r in computed]


def test_the_unit_reporters_home(county_portal, county, make_person):
    _client, found, html = home(county_portal, make_person, "unit1", "unit", "T01")
    me = person_token("unit1", "unit", "T01")
    month = county_today().strftime("%Y-%m")
    values = api(county.scoring_url, "/self-checks", me, unit="T01", period=month)
    period = api(county.scoring_url, f"/periods/{month}", me)
    assert f'<dd class="values">{len(values)}</dd>' in html and values
    assert 'class="status status-submitted"' in html
    assert period["deadline"][:7] in html
    orders = [o for o in api(county.inspection_url, "/orders", me) if o["state"] != "closed"]
    assert [row[0] for row in found["orders"][1:]] == [f"#{o['id']}" for o in orders]
    assert [row[1] for row in found["orders"][1:]] == [o["deadline"] for o in orders]
    assert "T02" not in html


def test_a_unit_that_has_not_reported_sees_it_is_due(county_portal, make_person):
    _client, _found, html = home(county_portal, make_person, "unit2", "unit", "T02")
    assert 'class="status status-due"' in html and "尚未报送" in html


def test_the_inspectors_home(county_portal, county, make_person):
    _client, found, _html = home(county_portal, make_person, "insp1", "inspector")
    me = person_token("insp1", "inspector")
    visits = api(county.inspection_url, "/visits", me)
    open_visits = [v for v in visits if v["status"] in ("scheduled", "checked_in", "returned")]
    assert sorted(row[0] for row in found["today"][1:] + found["upcoming"][1:]) == \
        sorted(v["unit"] for v in open_visits)
    assert [row[0] for row in found["upcoming"][1:]] == ["D001"]   # next month's plan


def test_the_analysts_and_leaders_home(county_portal, county, make_person):
    for username, role in (("ana1", "analyst"), ("lead1", "leader")):
        _client, found, _html = home(county_portal, make_person, username, role)
        me = person_token(username, role)
        published = api(county.scoring_url, "/runs", me, state="published")
        ranking = api(county.scoring_url, f"/runs/{published[0]['id']}/ranking", me)
        for group in {row["peer_group"] for row in ranking}:
            rows = sorted((r for r in ranking if r["peer_group"] == group),
                          key=lambda r: (r["rank"], r["unit"]))
            assert [[c[0], c[1], c[2]] for c in found[group][1:]] == [
                [str(r["rank"]), f"{r['name_zh']} {r['unit']}", f"{r['composite']:.2f}"]
                for r in rows]


def test_a_unit_person_gets_no_page_of_another_unit(county_portal, county, make_person):
    client, _found, _html = home(county_portal, make_person, "unit1", "unit", "T01")
    other_values = client.get("/units/T02/self-checks")
    assert other_values.status_code == 403 and "无权访问" in other_values.get_data(as_text=True)
    assert "河西乡" not in other_values.get_data(as_text=True)
    assert "垃圾" not in other_values.get_data(as_text=True)


def test_a_service_that_does_not_answer_leaves_a_message(make_app, make_person, clock):
    app = make_app("portal", PORTAL_CLOCK=clock, SURVEY_URL="http://127.0.0.1:9",
                   SCORING_URL="http://127.0.0.1:9", INSPECTION_URL="http://127.0.0.1:9")
    _client, _found, html = home(app, make_person, "plan1", "planner")
    assert html.count("服务无响应") == 3


def test_an_api_that_refuses_the_token_is_the_401_page(make_app, county, make_person, clock):
    app = make_app("portal", PORTAL_CLOCK=clock, JWT_SECRET="not the services' key " * 2,
                   SURVEY_URL=county.survey_url, SCORING_URL=county.scoring_url,
                   INSPECTION_URL=county.inspection_url)
    client, _found, html = home(app, make_person, "unit1", "unit", "T01")
    assert html.count("您无权查看此内容") == 3      # each part of the home page says so
    response = client.get(f"/orders/{county.ids['order_T01']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and "服务未接受您的登录凭据" in page
    assert "垃圾" not in page


def test_a_part_the_api_cannot_answer_leaves_the_rest(county_portal, county, make_person):
    """A part whose API call fails (here: rates of a poll the survey service does not
    know, 404) becomes a message in the person's language; the other parts still read."""
    from services.portal import home as home_parts
    from services.portal.api_client import Apis, settings_from
    from services.portal.models.person import Person

    apis = Apis(Person(username="plan1", role="planner"), settings_from(county_portal.config))
    part = home_parts.read(lambda: apis.survey.get_json("/api/v1/polls/999/outcome-rates"))
    with county_portal.test_request_context():
        assert str(part.problem) == "survey 服务无法提供这部分内容（404）。"
    assert home_parts.read(lambda: home_parts.open_plans(apis, county_today())).rows
