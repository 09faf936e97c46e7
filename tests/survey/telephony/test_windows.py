"""Calling windows in the campaign's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.survey.telephony.windows import CallingWindows


def test_windows_in_shanghai_and_next_opening():
    windows = CallingWindows.from_config(["09:00-12:00", "14:00-20:30"], [0, 1, 2, 3, 4])
    friday_night = datetime(2026, 7, 3, 13, 0, tzinfo=UTC)  # 21:00 Friday in Shanghai
    assert not windows.is_open(friday_night)
    assert windows.next_open(friday_night) == datetime(2026, 7, 6, 1, 0, tzinfo=UTC)
    assert windows.closes_at(datetime(2026, 7, 6, 2, 0, tzinfo=UTC)) == datetime(
        2026, 7, 6, 4, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        CallingWindows.from_config(["09:00-12:00", "11:00-13:00"], [0])
