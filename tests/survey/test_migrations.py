"""The survey history has one head, the migrated database matches the models, and
revision survey_0005 encrypts the contacts already stored (its downgrade decrypts)."""

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Text, column, select, table

from services.survey import models
from services.survey.telephony.vault import vault
from shared.db import make_engine
from shared.migrations import alembic_config, current, heads, service_migrations_dir, upgrade
from tests.conftest import _recreate_pg

FIELDS = ("name", "phone", "email", "note")
STORED = table("respondent_contacts", column("id", Integer), column("interview_id", Integer),
               *(column(name, Text) for name in FIELDS))
PLAIN = {"name": "王小明", "phone": "+8613800138000", "email": "wxm@example.cn",
         "note": "下午方便"}


def test_single_head():
    assert len(heads(service_migrations_dir("survey"))) == 1


def test_models_match_migrated_database(engines):
    with engines["survey"].connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, models.Base.metadata)
    assert diff == []


@pytest.fixture
def scratch_engine():
    """An empty survey database of its own (not the session's migrated one)."""
    base = os.environ.get("KAOPING_TEST_PG")
    if base:
        url = f"{base}_survey_migration"
        _recreate_pg(url)
    else:
        folder = Path(tempfile.mkdtemp(prefix="kaoping-migration-"))
        url = f"sqlite:///{folder / 'survey.sqlite3'}"
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_migration_encrypts_existing_contacts_and_downgrade_decrypts(scratch_engine):
    folder = service_migrations_dir("survey")
    upgrade(scratch_engine, folder, "survey_0004")
    now = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    questionnaires = table("questionnaires", column("id", Integer), column("code", Text),
                           column("version", Integer), column("title_zh", Text),
                           column("title_en", Text), column("document", JSON),
                           column("created_at", DateTime), column("updated_at", DateTime))
    polls = table("polls", column("id", Integer), column("name_zh", Text),
                  column("name_en", Text), column("questionnaire_id", Integer),
                  column("modes", JSON), column("field_start", Date), column("field_end", Date),
                  column("status", Text), column("partial_threshold", Float),
                  column("stop_at_quota", Boolean), column("created_at", DateTime))
    interviews = table("interviews", column("id", Integer), column("poll_id", Integer),
                       column("mode", Text), column("status", Text), column("disposition", Text),
                       column("language", Text), column("created_at", DateTime),
                       column("updated_at", DateTime))
    with scratch_engine.begin() as connection:
        connection.execute(questionnaires.insert().values(
            id=1, code="q", version=1, title_zh="问卷", title_en="Q", document={},
            created_at=now, updated_at=now))
        connection.execute(polls.insert().values(
            id=1, name_zh="调查", name_en="Poll", questionnaire_id=1, modes=["web"],
            field_start=dt.date(2026, 12, 1), field_end=dt.date(2026, 12, 14), status="draft",
            partial_threshold=0.5, stop_at_quota=False, created_at=now))
        connection.execute(interviews.insert().values(
            id=1, poll_id=1, mode="web", status="not_started", disposition="3.19",
            language="zh-CN", created_at=now, updated_at=now))
        contacts = table("respondent_contacts", column("id", Integer),
                         column("interview_id", Integer), column("created_at", DateTime),
                         *(column(name, Text) for name in FIELDS))
        connection.execute(contacts.insert().values(id=1, interview_id=1, name=PLAIN["name"],
                                                    phone=PLAIN["phone"], email=None,
                                                    note=PLAIN["note"], created_at=now))
    upgrade(scratch_engine, folder, "survey_0005")
    assert current(scratch_engine) == ("survey_0005",)
    with scratch_engine.connect() as connection:
        [row] = [dict(r) for r in connection.execute(select(STORED)).mappings()]
    assert row["email"] is None
    for name in ("name", "phone", "note"):
        assert row[name] != PLAIN[name] and vault().decrypt(row[name]) == PLAIN[name]
    command.downgrade(alembic_config(folder, scratch_engine), "survey_0004")
    assert current(scratch_engine) == ("survey_0004",)
    with scratch_engine.connect() as connection:
        rows = [dict(r) for r in connection.execute(select(STORED)).mappings()]
    assert rows == [{"id": 1, "interview_id": 1, "name": PLAIN["name"],
                     "phone": PLAIN["phone"], "email": None, "note": PLAIN["note"]}]
