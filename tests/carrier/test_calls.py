"""The switchboard: calls started at most ``cps`` per second and played concurrently;
the oldest finished calls forgotten."""

from __future__ import annotations

import time

from tests.carrier.carrier_support import SID, carrier, client_for
from tests.support import serving


def test_calls_per_second_limit_and_concurrency(application):
    app = carrier(cps=20.0)
    with serving(app) as url:
        calls = client_for(url).api.v2010.account.calls
        started = time.monotonic()
        sids = [calls.create(to=f"+86139000300{i:02d}", from_="+8657400000000",
                             url=f"{application.url}/start").sid for i in range(11)]
        assert app.extensions["carrier"].wait_idle(20)
        board = app.extensions["carrier"]
    starts = sorted(board.started_at)
    assert starts[-1] - starts[0] >= 10 / 20.0 - 0.01  # 11 starts at 20 per second
    assert time.monotonic() - started < 10
    assert {board.get(s).status for s in sids} == {"completed"}
    assert len({p["CallSid"] for p in application.named("start")}) == 11


def test_the_switchboard_forgets_the_oldest_finished_calls(monkeypatch):
    import services.carrier.calls as calls
    from services.carrier.validation import CallRequest

    monkeypatch.setattr(calls, "KEEP_CALLS", 3)
    board = carrier().extensions["carrier"]
    monkeypatch.setattr(board, "_ensure_dispatcher", lambda: None)
    request = CallRequest(to="+8613900050001", from_="+8657400000000", url="http://x/")
    first = [board.place(SID, request) for _ in range(3)]
    first[0].status = first[1].status = "completed"
    board.place(SID, request)
    assert [c.sid in board.calls for c in first] == [False, True, True]
    assert len(board.calls) == 3 and board.attempts["+8613900050001"] == 4
