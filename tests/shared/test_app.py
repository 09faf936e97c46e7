"""ServiceFlask: Flask's ``ensure_sync`` answers, remembered per function."""

from __future__ import annotations

import pytest
from flask import Flask

from shared.app import ServiceFlask


def test_ensure_sync_gives_flasks_answer_and_remembers_it():
    app, plain = ServiceFlask("t"), Flask("t")

    def view():
        return "ok"

    async def coroutine_view():
        return "ok"

    assert app.ensure_sync(view) is view is plain.ensure_sync(view)
    assert app._sync_functions[view] is view
    assert app.ensure_sync(view) is view  # from the cache
    try:
        expected = plain.ensure_sync(coroutine_view)
    except RuntimeError as exc:  # Flask without its async extra
        with pytest.raises(RuntimeError, match=str(exc)[:30]):
            app.ensure_sync(coroutine_view)
    else:
        wrapped = app.ensure_sync(coroutine_view)
        assert wrapped is not coroutine_view and wrapped() == expected() == "ok"


def test_requests_still_run_every_hook():
    app = ServiceFlask("t")
    seen = []
    app.before_request(lambda: seen.append("before"))
    app.after_request(lambda response: seen.append("after") or response)
    app.add_url_rule("/x", "x", lambda: "ok")
    client = app.test_client()
    for _ in range(3):
        assert client.get("/x").text == "ok"
    assert seen == ["before", "after"] * 3
