"""The dashboard in Debian's Chromium at phone (390 px) and desktop width: a leader goes
from the menu to a published run and a unit's page; the charts load as images (under the
page's CSP), and the numbers beside them and in the SVG the browser fetched equal the
scoring API's. ``PORTAL_SCREENSHOTS=<folder>`` saves each page at both widths
(``dashboard-county-*.png``)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.portal.portal_support import PASSWORD
from tests.portal.test_dashboard import attr, publish_this_month, scoring, two
from tests.portal.test_dashboard_charts import marks
from tests.support import chromium, serving

WIDTHS = (("phone", {"width": 390, "height": 844}), ("desktop", {"width": 1280, "height": 900}))


def _charts_loaded(page) -> None:
    """Every chart image on the page has loaded (a blocked or failed SVG has no size)."""
    page.wait_for_function("[...document.images].every(i => i.complete)")
    sizes = page.evaluate("[...document.querySelectorAll('img[data-chart]')]"
                          ".map(i => i.naturalWidth)")
    assert sizes and all(size > 0 for size in sizes), sizes


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _shot(page, name: str) -> None:
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shot = name.replace("dashboard", "dashboard-county", 1)
        page.screenshot(path=str(Path(folder) / f"{shot}.png"), full_page=True)


def test_a_leader_opens_a_unit_page_whose_figures_equal_the_api(county_portal, county,
                                                                 make_person):
    newer = publish_this_month(county)
    make_person("lead1", "leader", name="李县长")
    api = scoring(county, f"/runs/{newer}/units/T01")
    ranking = scoring(county, f"/runs/{newer}/ranking", group="TS")
    errors: list[str] = []
    with serving(county_portal) as url, chromium() as browser:
        for name, viewport in WIDTHS:
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                    and "favicon" not in (m.location or {}).get("url", "") else None)
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                    if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
            page.goto(f"{url}/sign-in")
            page.fill("#username", "lead1")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit] >> text=登录")
            page.wait_for_load_state()
            page.click("nav >> text=数据看板")
            page.wait_for_load_state()
            assert page.url == f"{url}/dashboard/"
            _fits(page, viewport["width"])
            _shot(page, f"dashboard-{name}")
            page.click(f"#runs a[href='/dashboard/runs/{newer}']")
            page.wait_for_load_state()
            _charts_loaded(page)
            _fits(page, viewport["width"])
            ranks = page.locator(f"#run{newer}-TS tbody th").all_inner_texts()
            assert ranks == [str(r["rank"]) for r in ranking]
            _shot(page, f"dashboard-ranking-{name}")
            page.click(f"a[href='/dashboard/runs/{newer}/units/T01']")
            page.wait_for_load_state()
            _charts_loaded(page)
            _fits(page, viewport["width"])
            # the table beside the chart: the API's contributions, in the API's order
            table = f"#run{newer}-T01-breakdown tbody tr"
            assert page.locator(f"{table} th").all_inner_texts() == [
                i["indicator"] for i in api["indicators"]]
            assert page.locator(f"{table} td[data-key=contribution]").all_inner_texts() == [
                two(i["contribution"]) for i in api["indicators"]]
            assert page.inner_text("#facts [data-key=composite]") == two(api["composite"])
            assert page.inner_text("#facts [data-key=rank]").startswith(f"第 {api['rank']} 名")
            # the SVG the browser was given: each bar's data and title are the API's
            source = page.get_attribute("img[data-chart$='-breakdown']", "src")
            svg = marks(page.request.get(f"{url}{source}").text())
            for i in api["indicators"]:
                bar = svg[f"contribution-{i['indicator']}"]
                assert bar["contribution"] == repr(i["contribution"])
                assert bar["title"] == f"{i['indicator']}: {i['contribution']:.3f}"
            assert svg["composite"]["composite"] == repr(api["composite"])
            months = marks(page.request.get(
                f"{url}{page.get_attribute('img[data-chart$=-months]', 'src')}").text())
            assert months[f"rank-{api['period']}"]["rank"] == str(api["rank"])
            group = marks(page.request.get(
                f"{url}{page.get_attribute(f'img[data-chart=run{newer}-TS]', 'src')}").text())
            assert api["composite_lo"] is not None  # the run drew its intervals
            assert group["composite-T01"]["composite-lo"] == attr(api["composite_lo"])
            assert group["rank-T01"]["rank-hi"] == attr(api["rank_hi"])
            _shot(page, f"dashboard-unit-{name}")
            page.goto(f"{url}/dashboard/polls/{county.ids['poll']}")
            _charts_loaded(page)
            _fits(page, viewport["width"])
            _shot(page, f"dashboard-poll-{name}")
            page.goto(f"{url}/dashboard/inspections?from={county.today.replace(day=1)}")
            _charts_loaded(page)
            _fits(page, viewport["width"])
            _shot(page, f"dashboard-inspections-{name}")
            with page.expect_download() as download:
                page.click("a[href^='/dashboard/inspections/findings.csv']")
            assert download.value.suggested_filename == "findings.csv"
            context.close()
    assert not errors, errors  # no CSP report, no failed load
