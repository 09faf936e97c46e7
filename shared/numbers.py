"""Numbers as people type them into spreadsheets and CSV files: one parser, one
missing-value rule.

Every import that reads a number from a cell (the scoring service's units, margins,
self-checks, key tasks and direct values) and ``kaoping score compute``'s values file
read it with :func:`parse_number`:

- an empty cell, or one of :data:`MISSING_VALUES` (``NA``, ``N/A``, ``#N/A``, ``NaN``,
  ``null``, ``None``, in any case), is a missing value: ``None``. Whether a missing
  value is allowed is the caller's rule (a self-check may leave ``target`` empty, a
  direct value may not);
- a decimal number, optionally signed, with an exponent: ``-12``, ``3.5``, ``.5``,
  ``1e3``;
- thousands separators in groups of three: ``1,234.5``, ``12,000`` (``1,5`` is refused:
  it may be a decimal comma);
- a trailing percent sign: ``12%`` is read as 12, the number as written (a share given
  as a percentage stays in percent; nothing is divided by 100);
- full-width forms (``１２％``, ``１，２３４``) are read as their ASCII equivalents.

Anything else — words, ``inf``, ``1_000``, ``1 234``, two signs — raises ValueError.
"""

from __future__ import annotations

import math
import re
import unicodedata

MISSING_VALUES = ("", "NA", "N/A", "#N/A", "NaN", "null", "None")
_MISSING = frozenset(token.lower() for token in MISSING_VALUES)
_PLAIN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:[eE][+-]?\d+)?")


def is_missing(value: object) -> bool:
    """Whether a cell holds a missing value (``None``, NaN, blank or a missing token)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and _folded(value).lower() in _MISSING


def parse_number(value: object) -> float | None:
    """A cell read as a finite number, or ``None`` when it holds a missing value.

    ``value`` is text (or an int/float from a parsed workbook); raises ValueError
    naming the text when it is neither a number in the accepted forms nor missing.
    """
    if isinstance(value, str):
        try:
            number = float(value)  # the common case, fast: imports read millions of cells
        except ValueError:
            return _parse_text(value)
        return number if math.isfinite(number) and "_" not in value else _parse_text(value)
    if is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return float(value)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _parse_text(value: str) -> float | None:
    text = _folded(value)
    if text.lower() in _MISSING:
        return None
    if text.endswith("%"):
        text = text[:-1].rstrip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _PLAIN.fullmatch(text):
        raise ValueError(f"not a number: {value!r}")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number
