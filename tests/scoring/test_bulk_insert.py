"""Bulk inserts: the COPY text written by ``bulk_insert`` stores on PostgreSQL exactly
what psycopg's own ``Copy.write_row`` (the previous implementation) stores, for every
kind of value the self-check import writes; SQLite takes the rows as they are."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from psycopg.types.json import Json
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.scoring.bulk_insert import bulk_insert, copy_text, value_text

COLUMNS = ("n", "word", "x", "flag", "stamp", "links", "day")
NARRATIVES = ["按计划完成", "tab\there", "line\nbreak\r\nend", "back\\slash \\N", "", " 空格 ",
              "quote ' and \" and , ;", "\\", "emoji 🎉"]


def _rows(count: int = 600) -> list[tuple]:
    links = [Json([]), Json(["https://oa.example/1?a=1&b=\t2"]), Json({"k": "v\\n"})]
    stamps = [datetime(2026, 7, 1, 2, 3, 4, 567891, tzinfo=UTC),
              datetime(2026, 1, 31, 23, 59, tzinfo=timezone(timedelta(hours=8))), None]
    floats = [0.1, 1e-300, 1e16, -0.0, 123456789.123456789, 2.5, None, 91, 7.0 / 3]
    return [(i, NARRATIVES[i % len(NARRATIVES)] if i % 13 else None,
             floats[i % len(floats)], (True, False, None)[i % 3], stamps[i % 3],
             links[i % 3], date(2026, 1 + i % 12, 1 + i % 28)) for i in range(count)]


def test_value_text_is_copy_text():
    assert value_text(None) == "\\N" and value_text(True) == "t" and value_text(False) == "f"
    assert value_text("a\tb\nc\\d\re") == "a\\tb\\nc\\\\d\\re"
    assert value_text(3) == "3" and value_text(0.1) == "0.1" and float(value_text(1e16)) == 1e16
    assert [value_text(v) for v in (math.nan, math.inf, -math.inf)] == [
        "NaN", "Infinity", "-Infinity"]
    assert value_text(Json(["x\ty"])) == '["x\\\\ty"]'
    assert copy_text([(1, "a", None), (2, "b\tc", 0.5)]) == "1\ta\t\\N\n2\tb\\tc\t0.5\n"
    assert copy_text([]) == ""
    with pytest.raises(TypeError):
        value_text(object())


def _table(session: Session, name: str) -> None:
    session.execute(text(f"CREATE TEMPORARY TABLE {name} (n integer, word text, "
                         "x double precision, flag boolean, stamp timestamptz, links json, "
                         "day date)"))


def _stored(session: Session, name: str) -> list[tuple]:
    return [tuple(row) for row in session.execute(text(
        f"SELECT n, word, x, flag, stamp, CAST(links AS text), day FROM {name} ORDER BY n"))]


def test_copy_stores_what_psycopg_write_row_stores(engines):
    engine = engines["scoring"]
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's (set KAOPING_TEST_PG)")
    rows = _rows(45_000)  # more than one chunk
    with Session(engine) as session:
        _table(session, "by_text")
        _table(session, "by_driver")
        bulk_insert(session, "by_text", COLUMNS, rows)
        cursor = session.connection().connection.driver_connection.cursor()
        with cursor.copy(f"COPY by_driver ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        ours, reference = _stored(session, "by_text"), _stored(session, "by_driver")
        session.rollback()
    assert len(ours) == len(rows) and ours == reference
    assert math.copysign(1, ours[3][2]) == -1  # -0.0 kept
    assert ours[2][1] == "line\nbreak\r\nend" and ours[3][1] == "back\\slash \\N"


def test_sqlite_takes_the_rows_as_they_are(engines):
    engine = engines["scoring"]
    if engine.dialect.name != "sqlite":
        pytest.skip("the SQLite path")
    rows = [(i, NARRATIVES[i % len(NARRATIVES)], 0.5 * i) for i in range(50)]
    with Session(engine) as session:
        session.execute(text("CREATE TEMPORARY TABLE t (n integer, word text, x real)"))
        bulk_insert(session, "t", ("n", "word", "x"), rows)
        assert [tuple(r) for r in session.execute(text("SELECT * FROM t ORDER BY n"))] == rows
        session.rollback()
