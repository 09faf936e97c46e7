"""Fixtures of the inspection tests (defined in ``inspection_support``).

The helpers are re-exported here too, because other areas' tests import them from
``tests.inspection.conftest`` (tests/scoring/runs/test_real_services.py).
"""

from tests.inspection.inspection_support import (  # noqa: F401
    CHECKLIST,
    PNG,
    SELF_CHECKS,
    UNITS,
    Api,
    api,
    app,
    client,
    evidence_dir,
    good_answers,
    registry_url,
    stub_registry,
)
