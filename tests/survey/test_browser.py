"""Web mode in a real headless browser (Debian chromium driven by Playwright): skip
logic, validation, resume after reload, language switch, submit."""


import pytest

from tests.support import chromium, serving


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def browser_page(browser):
    """A phone-sized page with JavaScript off: the pages must work without it."""
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  java_script_enabled=False)
    yield context.new_page()
    context.close()


def choose(page, value):
    page.check(f'input[name="answer"][value="{value}"]')
    page.click('button[type="submit"]')


def question(page) -> str:
    return page.get_attribute('input[name="question"]', "value")


def test_respondent_in_a_headless_browser(app, client, planner, make_poll, browser_page):
    poll = make_poll()
    token = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner,
                        json={"count": 1, "township": "T01"}).get_json()["links"][0]["token"]
    page = browser_page
    with serving(app) as url:
        page.goto(f"{url}/r/{token}")
        assert "您的性别" in page.inner_text("body")
        page.click("text=English")
        assert "Your sex" in page.inner_text("body")
        choose(page, 2)
        choose(page, 1)
        choose(page, 3)
        choose(page, 1)                       # reported a problem: asked whether solved
        assert question(page) == "solved"
        choose(page, 2)                       # not solved: the detail question is shown
        assert question(page) == "detail"
        page.fill('textarea[name="answer"]', "Street lights broken")
        page.click('button[type="submit"]')
        assert question(page) == "years"
        page.fill('input[name="answer"]', "130")
        page.click('button[type="submit"]')   # the browser's own range check holds it back
        assert question(page) == "years" and page.locator(".error").count() == 0
        page.reload()                         # resume: same question, nothing lost
        assert question(page) == "years"
        page.goto(f"{url}/r/{token}")         # a fresh visit of the link resumes too
        assert question(page) == "years"
        page.fill('input[name="answer"]', "12")
        page.click('button[type="submit"]')
        page.check('input[name="answer"][value="1"]')
        page.check('input[name="answer"][value="3"]')
        page.click('button[type="submit"]')
        body = page.inner_text("body")
        assert "Health；Transport" in body and "Street lights broken" in body
        page.click("#submit")
        assert "Thank you for taking part" in page.inner_text("body")
        page.go_back()
        page.reload()
        assert "Thank you for taking part" in page.inner_text("body")
    responses = client.get(f"/api/v1/polls/{poll['id']}/responses", headers=planner).get_json()
    answers = {a["question_id"]: a["value"] for a in responses[0]["answers"]}
    assert responses[0]["status"] == "complete" and responses[0]["language"] == "en"
    assert answers == {"sex": 2, "age": 1, "sat": 3, "problem": 1, "solved": 2,
                       "detail": "Street lights broken", "years": 12, "services": [1, 3]}


def test_skip_logic_in_the_browser_jumps_over_follow_ups(app, client, planner, make_poll,
                                                          browser_page):
    poll = make_poll()
    token = client.post(f"/api/v1/polls/{poll['id']}/links", headers=planner,
                        json={"count": 1}).get_json()["links"][0]["token"]
    page = browser_page
    with serving(app) as url:
        page.goto(f"{url}/r/{token}")
        page.check('input[name="township"][value="T02"]')
        page.click('button[type="submit"]')
        for value in (1, 2, 5):
            choose(page, value)
        choose(page, 2)                       # no problem reported: solved/detail skipped
        assert question(page) == "years"
        page.click("text=上一题")
        assert question(page) == "problem"
        page.screenshot(path="/tmp/h4b/survey-page.png")
