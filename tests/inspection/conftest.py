"""Fixtures of the inspection tests (defined in ``inspection_support``)."""

from tests.inspection.inspection_support import (  # noqa: F401
    api,
    app,
    client,
    evidence_dir,
    registry_url,
)
