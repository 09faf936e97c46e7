"""Calling windows: when residents may be called, in Asia/Shanghai local time.

A campaign has several windows a day (``["09:00-12:00", "14:00-20:30"]``) and the
weekdays it calls on (0 = Monday … 6 = Sunday). Every check takes ``now`` so that the
clock can be injected; times are compared in the campaign's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"
_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


def parse_window(text: str) -> tuple[time, time]:
    """``"09:00-12:00"`` → (09:00, 12:00); raise ValueError unless start < end."""
    match = _WINDOW.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start = time(h1, m1)
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    if not start < end:
        raise ValueError(f"{text!r}: the window must end after it starts")
    return start, end


@dataclass(frozen=True)
class CallingWindows:
    windows: tuple[tuple[time, time], ...]
    weekdays: frozenset[int] = frozenset(range(5))
    zone: str = DEFAULT_ZONE

    @classmethod
    def from_config(cls, windows: list[str], weekdays: list[int],
                    zone: str = DEFAULT_ZONE) -> CallingWindows:
        """Raise ValueError naming the bad window, weekday or zone."""
        parsed = tuple(sorted(parse_window(w) for w in windows))
        if not parsed:
            raise ValueError("at least one calling window is needed")
        for (_, end), (start, _) in zip(parsed, parsed[1:], strict=False):
            if start < end:
                raise ValueError("calling windows overlap")
        days = frozenset(int(d) for d in weekdays)
        if not days or not days <= set(range(7)):
            raise ValueError("weekdays must be a non-empty subset of 0..6 (0 = Monday)")
        ZoneInfo(zone)
        return cls(parsed, days, zone)

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.zone))
        if local.weekday() not in self.weekdays:
            return False
        moment = local.time()
        return any(start <= moment < end for start, end in self.windows)

    def next_open(self, now: datetime) -> datetime:
        """``now`` if a window is open, else the start of the next window (UTC)."""
        if self.is_open(now):
            return now
        zone = ZoneInfo(self.zone)
        local = now.astimezone(zone)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            if day.weekday() not in self.weekdays:
                continue
            for start, _ in self.windows:
                candidate = datetime.combine(day, start, tzinfo=zone)
                if candidate > local:
                    return candidate.astimezone(UTC)
        raise ValueError("no calling window in the coming week")

    def closes_at(self, now: datetime) -> datetime | None:
        """End of the open window (UTC), or None when closed."""
        zone = ZoneInfo(self.zone)
        local = now.astimezone(zone)
        if local.weekday() not in self.weekdays:
            return None
        for start, end in self.windows:
            if start <= local.time() < end:
                return datetime.combine(local.date(), end, tzinfo=zone).astimezone(UTC)
        return None
