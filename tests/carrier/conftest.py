"""Carrier test fixtures."""

from __future__ import annotations

import pytest

from tests.carrier.carrier_support import Application
from tests.support import serving


@pytest.fixture
def application():
    """The TwiML application, served; ``application.url`` is where."""
    app = Application()
    with serving(app.app) as url:
        app.url = url
        yield app
