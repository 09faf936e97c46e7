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
