"""Fixtures of the portal tests (defined in ``portal_support``; ``cheap_argon2`` there
says why the tests hash passwords with argon2-cffi's cheapest profile; the field pages'
plans and signed-in inspector in ``field_county``)."""

from tests.portal.field_county import field, inspector  # noqa: F401
from tests.portal.portal_support import (  # noqa: F401
    cheap_argon2,
    clock,
    county,
    county_portal,
    db,
    make_person,
    portal_app,
)
