"""Fixtures of the demo's tests: a ``DemoContext`` pointed at served apps, and the
fixtures of the areas whose services a step drives (from their test support)."""

from __future__ import annotations

import dataclasses

import pytest

from services.demo.config import DemoSettings
from services.demo.context import DemoContext
from tests.inspection.inspection_support import evidence_dir, registry_url  # noqa: F401
from tests.portal.portal_support import cheap_argon2, clock, county, county_portal, db  # noqa: F401
from tests.survey.conftest import scoring_url  # noqa: F401


@pytest.fixture
def demo_context(tmp_path):
    """demo_context(portal_database_url=None, **urls) -> a DemoContext with outputs in
    ``tmp_path`` whose services are at ``urls`` (service -> base URL; the others, and the
    portal's database, where this environment says)."""

    def make(portal_database_url: str | None = None, **urls: str) -> DemoContext:
        settings = DemoSettings.from_env(tmp_path)
        return DemoContext(dataclasses.replace(
            settings, urls={**settings.urls, **urls},
            portal_database_url=portal_database_url or settings.portal_database_url))

    return make
