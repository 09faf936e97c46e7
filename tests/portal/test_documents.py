"""The documents page: the list from the scoring API with download links, read with the
person's token (planners, analysts and leaders; a unit person may not open it)."""

import hashlib

import requests

from tests.portal.portal_support import home, person_token, tables


def _notice(county, reason=None):
    """The monthly notice of the county's published run, made through the scoring API."""
    me = person_token("plan1", "planner")
    run = requests.get(f"{county.scoring_url}/api/v1/runs/{county.ids['run_published']}",
                       headers=me, timeout=10).json()
    response = requests.post(f"{county.scoring_url}/api/v1/documents", headers=me, timeout=120,
                             json={"kind": "notice", "period": run["period"]})
    assert response.status_code == 201, response.text
    return response.json()


def test_documents_are_listed_and_downloaded(county_portal, county, make_person):
    doc = _notice(county)
    client, _found, html = home(county_portal, make_person, "lead1", "leader")
    assert 'href="/documents"' in html
    page = client.get("/documents")
    assert page.status_code == 200
    rows = tables(page.get_data(as_text=True))["documents"]
    assert rows[1][0] == doc["title"] and rows[1][1] == doc["period"] and rows[1][4] == "有效"
    pdf = client.get(f"/documents/{doc['id']}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == doc["pdf_sha256"]
    assert "attachment" in pdf.headers["Content-Disposition"]
    html_file = client.get(f"/documents/{doc['id']}.html")
    assert html_file.mimetype == "text/html" and doc["title"] in html_file.get_data(as_text=True)
    # read in the browser: its own style and data: charts, nothing that runs or loads
    assert html_file.headers["Content-Disposition"].startswith("inline")
    policy = dict(part.strip().partition(" ")[::2]
                  for part in html_file.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'" and policy["style-src"] == "'unsafe-inline'"
    assert policy["img-src"] == "data:" and "sandbox" in policy and "script-src" not in policy
    assert "在浏览器中阅读" in page.get_data(as_text=True)
    me = person_token("plan1", "planner")
    requests.post(f"{county.scoring_url}/api/v1/documents/{doc['id']}/withdraw", headers=me,
                  json={"reason": "数字有误"}, timeout=10).raise_for_status()
    rows = tables(client.get("/documents").get_data(as_text=True))["documents"]
    assert rows[1][4] == "已撤回：数字有误"


def test_a_unit_person_may_not_open_the_documents(county_portal, county, make_person):
    client, _found, html = home(county_portal, make_person, "unit1", "unit", "T01")
    assert 'href="/documents"' not in html
    assert client.get("/documents").status_code == 403
    assert client.get("/documents/1.pdf").status_code == 403


def test_documents_page_in_chromium_at_phone_and_desktop_width(county_portal, county,
                                                               make_person):
    """Debian's Chromium, JavaScript off: the list reads as cards on a phone and as a
    table on a desktop; ``PORTAL_SCREENSHOTS=<folder>`` saves both."""
    import os
    from pathlib import Path

    from tests.portal.portal_support import PASSWORD
    from tests.support import chromium, serving

    doc = _notice(county)
    make_person("lead1", "leader")
    shots = os.environ.get("PORTAL_SCREENSHOTS")
    with serving(county_portal) as url, chromium() as browser:
        for name, viewport in (("phone", {"width": 390, "height": 844}),
                               ("desktop", {"width": 1280, "height": 800})):
            context = browser.new_context(viewport=viewport, java_script_enabled=False)
            page = context.new_page()
            page.goto(f"{url}/sign-in")
            page.fill("#username", "lead1")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit] >> text=登录")
            page.wait_for_load_state()
            page.click("nav >> text=通报与报告")
            page.wait_for_load_state()
            assert page.url == f"{url}/documents"
            assert doc["title"] in page.inner_text("#documents")
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            with page.expect_download() as download:
                page.click(f"a[href='/documents/{doc['id']}.pdf']")
            assert download.value.suggested_filename.endswith(".pdf")
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(shots) / f"documents-{name}.png"), full_page=True)
            context.close()
