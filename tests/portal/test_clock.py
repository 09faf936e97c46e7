"""The portal's clock: timestamps read back as aware UTC, the county's calendar day, and
the app's clock (a test's own)."""

from datetime import UTC, date, datetime, timedelta, timezone

from services.portal.clock import as_utc, now, today


def test_a_naive_timestamp_is_utc_and_an_aware_one_is_converted():
    assert as_utc(None) is None
    assert as_utc(datetime(2026, 6, 1, 12, 0)) == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    beijing = datetime(2026, 6, 1, 20, 0, tzinfo=timezone(timedelta(hours=8)))
    converted = as_utc(beijing)
    assert converted == datetime(2026, 6, 1, 12, 0, tzinfo=UTC) and converted.tzinfo is UTC


def test_the_county_day_by_the_apps_clock_starts_at_midnight_in_shanghai(portal_app, clock):
    with portal_app.app_context():
        clock.now = datetime(2026, 6, 30, 15, 59, tzinfo=UTC)
        assert today() == date(2026, 6, 30)
        clock.now = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)
        assert today() == date(2026, 7, 1)


def test_now_is_the_apps_clock(portal_app, clock):
    with portal_app.app_context():
        first = now()
        clock.advance(minutes=5)
        assert now() - first == timedelta(minutes=5)
