"""Settings of ``kaoping demo``, read from the environment once, when the command starts.

The steps reach every service at its ``<SERVICE>_URL`` (default from ``KAOPING_HOST``
and ``<SERVICE>_PORT``), mint a token per role with ``KAOPING_JWT_SECRET`` and create
the portal's people in ``PORTAL_DATABASE_URL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.config import database_url, jwt_secret, var_dir
from shared.gunicorn_settings import service_url

SERVICES = ("survey", "scoring", "inspection", "portal")


@dataclass(frozen=True)
class DemoSettings:
    """Where the services are, the key that signs the demo's tokens, where outputs go."""

    urls: Mapping[str, str]
    jwt_secret: str
    portal_database_url: str
    out_dir: Path

    @classmethod
    def from_env(cls, out_dir: Path | None = None) -> DemoSettings:
        """The settings of this environment; outputs in ``out_dir`` (default
        ``var/demo`` under ``KAOPING_VAR_DIR``)."""
        return cls(urls={service: service_url(service) for service in SERVICES},
                   jwt_secret=jwt_secret(),
                   portal_database_url=database_url("portal"),
                   out_dir=out_dir or var_dir() / "demo")
