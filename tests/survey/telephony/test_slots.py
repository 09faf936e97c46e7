"""Send slots: a campaign's cps held across every dialer worker, through the database."""

from __future__ import annotations

import threading

import pytest

from tests.survey.telephony.phone_support import (
    TOKEN,
    VirtualTime,
    make_dialer,
    running_campaign,
    spacing,
)


def test_cps_holds_across_workers_reserving_slots(make_app, engines, auth):
    """Two dialers (two threads) share one campaign's slots: 1/cps apart overall."""
    app = make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="http://s")
    campaign_id = running_campaign(app, engines, auth, ["T01"], 1, cps=5)
    ticks = iter(range(10_000))
    lock = threading.Lock()

    def clock() -> float:  # time passes, but far slower than 5 calls a second
        with lock:
            return VirtualTime.T0 + 0.01 * next(ticks)

    slots: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}
    start = threading.Barrier(2, timeout=30)

    def work(name: str) -> None:
        dialer = make_dialer(app, worker=name, client=object(), pace_clock=clock)
        start.wait()
        for _ in range(15):
            slots[name].append(dialer.reserve(campaign_id, 5.0))

    threads = [threading.Thread(target=work, args=(n,)) for n in slots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [slot for name in slots for slot, _now in slots[name]]
    assert len(every) == 30 and len(slots["a"]) == len(slots["b"]) == 15
    assert spacing(every) >= 0.2 - 1e-6
    # Back to back: the 30 slots fill 29 intervals from the first reservation on.
    assert max(every) - min(every) == pytest.approx(29 * 0.2)
    assert all(slot >= now for name in slots for slot, now in slots[name])
    # An idle campaign's next call goes at once: its slot is the present.
    later = VirtualTime.T0 + 3600
    idle = make_dialer(app, client=object(), pace_clock=lambda: later)
    assert idle.reserve(campaign_id, 5.0) == (later, later)
    assert idle.reserve(campaign_id, 5.0) == (later + 0.2, later)
    # On the database's own clock (the default) the slots keep the same spacing.
    on_database_clock = make_dialer(app, client=object())
    first, _ = on_database_clock.reserve(campaign_id, 5.0)
    second, _ = on_database_clock.reserve(campaign_id, 5.0)
    assert second - first == pytest.approx(0.2)
