"""Reading documents back: the text of a PDF (poppler's ``pdftotext -layout``), its
fonts (``pdffonts``), and the rows of its tables by unit code."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

NUMBER = r"-?\d+\.\d+"


def pdf_text(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                              capture_output=True, text=True).stdout


def pdf_fonts(pdf: bytes) -> list[dict[str, str]]:
    """``pdffonts`` rows: name, emb (embedded), sub (subset), uni (has a ToUnicode map)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                             text=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return rows


def rows_of(text: str, code: str) -> list[str]:
    """Every line of the text on which ``code`` stands as a word."""
    return [line for line in text.splitlines() if re.search(rf"(^|\s){re.escape(code)}\s", line)]


def ranking_line(text: str, code: str, composite: str) -> str:
    """The ranking row of a unit: the line with its code and its composite."""
    lines = [line for line in rows_of(text, code) if composite in line]
    assert lines, f"no ranking row of {code} with {composite}"
    return lines[0]


def fmt(value: float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:.{places}f}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def signed(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:+d}" if isinstance(value, int) else f"{value:+.2f}"
