"""Helpers for tests that need real HTTP: serve a WSGI app on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator

from werkzeug.serving import make_server


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread; yield its base URL; shut down after."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


CHROMIUM = os.environ.get("KAOPING_CHROMIUM", "/usr/bin/chromium")


@contextlib.contextmanager
def chromium() -> Iterator:
    """Debian's Chromium driven by Playwright (no browser download). Missing, it fails
    the test under CI (``CI`` set: browser tests run there, never skip) and skips it
    elsewhere."""
    import pytest
    from playwright import sync_api

    if not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()
