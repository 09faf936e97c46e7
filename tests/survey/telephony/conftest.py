"""Telephone test fixtures: the survey app as Twilio's webhooks reach it, a claimed call
attempt, a running campaign."""

from __future__ import annotations

import pytest

from tests.survey.telephony.phone_support import PUBLIC, TOKEN, claimed_attempt, running_campaign


@pytest.fixture
def app(make_app):
    """The survey service with the test auth token, at ``PUBLIC``."""
    return make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC)


@pytest.fixture
def attempt(app, engines, auth):
    """A claimed call attempt of a one-number campaign; returns its id."""
    return claimed_attempt(app, engines, auth, max_tries=2)


@pytest.fixture
def campaign(app, engines, auth) -> int:
    """A running campaign of three numbers in T01 (cps 100)."""
    return running_campaign(app, engines, auth, ["T01"], 3, cps=100)
