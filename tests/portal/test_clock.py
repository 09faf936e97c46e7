"""The portal's clock: UTC instants, the county's calendar day, the app's clock."""

from datetime import UTC, date, datetime, timedelta, timezone

from services.portal.clock import as_utc, county_day, now


def test_as_utc_takes_a_naive_value_as_utc_and_converts_an_aware_one():
    assert as_utc(None) is None
    assert as_utc(datetime(2026, 6, 1, 8, 0)) == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    beijing = datetime(2026, 6, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    assert as_utc(beijing) == datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    assert as_utc(beijing).tzinfo is UTC


def test_the_county_day_is_shanghais():
    assert county_day(datetime(2026, 6, 14, 15, 59, tzinfo=UTC)) == date(2026, 6, 14)
    assert county_day(datetime(2026, 6, 14, 16, 0, tzinfo=UTC)) == date(2026, 6, 15)


def test_now_is_the_apps_clock(portal_app, clock):
    with portal_app.app_context():
        assert now() == clock.now
        clock.advance(hours=3)
        assert now() == clock.now
