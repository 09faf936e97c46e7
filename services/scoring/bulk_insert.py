"""Insert many rows that are ready for the driver: ``COPY`` on PostgreSQL with the rows
written as COPY text by us, the driver's ``executemany`` in chunks on SQLite.

A 300,000-row self-check month spent most of its client time in psycopg's
``Copy.write_row``, which adapts every value of every row (a JSON dump per row, a
dumper looked up per value). Here each column is turned into text at once, a value
seen before in the column costs a dict look-up (a month repeats its period, unit,
indicator, unit of measure, narrative, evidence, submission time, flags), and the
lines go to the server in chunks of ``CHUNK`` rows. The text is what psycopg's text
dumpers give, so the stored rows are the same (a test compares both ways).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from psycopg.types.json import Json, Jsonb
from sqlalchemy.orm import Session

CHUNK = 20_000
# COPY text format: backslash, newline, carriage return and tab are escaped; \N is NULL.
_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_NULL = "\\N"


def bulk_insert(session: Session, table: str, columns: tuple[str, ...],
                rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, bind processing done) into
    ``table`` in the session's transaction. SQLAlchemy's per-row parameter handling
    would cost more than the database does at this size."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for start in range(0, len(rows), CHUNK):
                copy.write(copy_text(rows[start:start + CHUNK]))
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    for start in range(0, len(rows), CHUNK):
        connection.exec_driver_sql(sql, rows[start:start + CHUNK])


def copy_text(rows: Sequence[tuple]) -> str:
    """The rows as lines of PostgreSQL COPY text (tab-separated, escaped, ``\\N``)."""
    if not rows:
        return ""
    columns = [_column_texts(values) for values in zip(*rows, strict=True)]
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


class _Texts(dict):
    """Value → COPY text of one column, filled on first sight."""

    def __missing__(self, value: Any) -> str:
        text = self[value] = value_text(value)
        return text


def _column_texts(values: tuple) -> list[str]:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, float):  # mostly distinct: no memo; v - v is 0 when finite
        return [_NULL if v is None else repr(v) if v - v == 0 else value_text(v)
                for v in values]
    if isinstance(sample, Json | Jsonb | list | dict):  # the same object for equal values
        memo: dict[int, str] = {}
        return [memo.get(id(v)) or memo.setdefault(id(v), value_text(v)) for v in values]
    return list(map(_Texts().__getitem__, values))


def value_text(value: Any) -> str:
    """One value as COPY text, as psycopg's text dumpers write it."""
    if value is None:
        return _NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Json | Jsonb):
        return (value.dumps or json.dumps)(value.obj).translate(_ESCAPES)
    if isinstance(value, list | dict):
        return json.dumps(value).translate(_ESCAPES)
    raise TypeError(f"no COPY text for {type(value).__name__}")
