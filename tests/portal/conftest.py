"""Fixtures of the portal tests (defined in ``portal_support``).

Argon2 at the portal's parameters (64 MiB, 3 passes) takes a good part of a second on a
busy two-core machine, and these tests sign in hundreds of times; outside
``test_passwords.py`` (which checks the real parameters) they hash with argon2-cffi's
cheapest profile instead. Everything else about sign-in is the same code.
"""

import pytest
from argon2 import PasswordHasher, profiles

from services.portal import passwords
from tests.portal.portal_support import (  # noqa: F401
    clock,
    county,
    county_portal,
    db,
    make_person,
    portal_app,
)


@pytest.fixture(autouse=True)
def _cheap_argon2(request, monkeypatch):
    if request.module.__name__.endswith("test_passwords"):
        return
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    monkeypatch.setattr(passwords, "HASHER", cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("not a password of anyone"))
