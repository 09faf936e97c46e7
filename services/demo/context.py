"""What the demo's steps share: settings, clients per service and role, printing, state."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.demo.config import DemoSettings
from shared.auth import issue_token
from shared.client import ServiceClient

# The demo's tokens outlive the longest demo run.
TOKEN_TTL_S = 4 * 3600


@dataclass
class DemoContext:
    """A demo run: ``settings``, numbered sections, ``state`` that steps leave for later
    steps (each step's docstring says what it reads and leaves)."""

    settings: DemoSettings
    state: dict[str, Any] = field(default_factory=dict)
    sections: int = 0
    _last_progress: float = 0.0

    @property
    def out_dir(self) -> Path:
        return self.settings.out_dir

    def url(self, service: str) -> str:
        return self.settings.urls[service]

    def client(self, service: str, role: str = "admin", unit: str | None = None) -> ServiceClient:
        """A client of ``service`` with a token of subject ``demo-<role>``."""
        token = issue_token(f"demo-{role}", role, unit, ttl=TOKEN_TTL_S,
                            key=self.settings.jwt_secret)
        return ServiceClient(service, self.url(service), token, timeout=60)

    def say(self, text: str = "") -> None:
        print(text, flush=True)

    def section(self, title: str) -> None:
        """Print a numbered section heading."""
        self.sections += 1
        self.say(f"== {self.sections}. {title} ==")

    def progress(self, line: str, *, final: bool = False) -> None:
        """A live progress line: rewritten in place on a terminal; in a log, one line
        every 5 s and the final one."""
        if sys.stdout.isatty():
            print("\r" + line.ljust(78), end="\n" if final else "", flush=True)
        elif final or time.monotonic() - self._last_progress >= 5:
            self._last_progress = time.monotonic()
            self.say(line)

    def save(self, name: str, content: str | bytes) -> Path:
        """Write an output file into ``out_dir``; return its path."""
        path = self.out_dir / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path
