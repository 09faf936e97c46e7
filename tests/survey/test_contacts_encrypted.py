"""Respondent contacts are encrypted at rest with the phone vault: the stored row holds
Fernet tokens, the planner API shows plain text, key rotation re-encrypts them, and
migration survey_0005 encrypts (and its downgrade decrypts) rows already stored."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Text, column, select, table

from services.cli import main
from services.survey.telephony.vault import PhoneVault, vault
from shared.db import make_engine
from shared.migrations import alembic_config, current, service_migrations_dir, upgrade
from tests.conftest import _recreate_pg

FIELDS = ("name", "phone", "email", "note")
STORED = table("respondent_contacts", column("id", Integer), column("interview_id", Integer),
               *(column(name, Text) for name in FIELDS))
PLAIN = {"name": "王小明", "phone": "+8613800138000", "email": "wxm@example.cn",
         "note": "下午方便"}


def stored_rows(engine) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(
            select(STORED).order_by(STORED.c.id)).mappings()]


def issue_with_contacts(client, planner, poll_id):
    response = client.post(f"/api/v1/polls/{poll_id}/links", headers=planner, json={
        "township": "T01", "contacts": [PLAIN, {"name": "李四"}]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["links"]


def test_stored_contact_is_ciphertext_and_the_api_shows_plain_text(client, planner, make_poll,
                                                                   auth, engines):
    poll = make_poll()
    links = issue_with_contacts(client, planner, poll["id"])
    rows = stored_rows(engines["survey"])
    assert [row["interview_id"] for row in rows] == [link["interview_id"] for link in links]
    first, second = rows
    for name, plain in PLAIN.items():
        assert first[name] != plain and plain not in first[name]
        assert vault().decrypt(first[name]) == plain
    assert vault().decrypt(second["name"]) == "李四" and second["phone"] is None
    assert first["name"] != second["name"]
    contacts = client.get(f"/api/v1/polls/{poll['id']}/contacts", headers=planner).get_json()
    assert contacts == [
        {"interview_id": links[0]["interview_id"], **PLAIN},
        {"interview_id": links[1]["interview_id"], "name": "李四", "phone": None,
         "email": None, "note": None}]
    response = client.get(f"/api/v1/polls/{poll['id']}/contacts", headers=auth("analyst"))
    assert response.status_code == 403


def test_rotate_phone_keys_re_encrypts_contacts(monkeypatch, client, make_poll, engines,
                                                planner, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("SURVEY_PHONE_KEYS", old)
    monkeypatch.setenv("SURVEY_PHONE_HASH_KEY", "contacts-hash-key")
    monkeypatch.setenv("SURVEY_DATABASE_URL",
                       engines["survey"].url.render_as_string(hide_password=False))
    poll = make_poll()
    links = issue_with_contacts(client, planner, poll["id"])
    before = stored_rows(engines["survey"])
    monkeypatch.setenv("SURVEY_PHONE_KEYS", f"{new},{old}")
    assert main(["survey", "rotate-phone-keys"]) == 0
    assert "re-encrypted 2 respondent contacts" in capsys.readouterr().out
    after = stored_rows(engines["survey"])
    only_new = PhoneVault([new], "contacts-hash-key")
    for name, plain in PLAIN.items():
        assert after[0][name] != before[0][name]
        assert only_new.decrypt(after[0][name]) == plain
    assert only_new.decrypt(after[1]["name"]) == "李四" and after[1]["note"] is None
    monkeypatch.setenv("SURVEY_PHONE_KEYS", new)             # the old key is dropped
    contacts = client.get(f"/api/v1/polls/{poll['id']}/contacts", headers=planner).get_json()
    assert contacts[0] == {"interview_id": links[0]["interview_id"], **PLAIN}


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
    [row] = stored_rows(scratch_engine)
    assert row["email"] is None
    for name in ("name", "phone", "note"):
        assert row[name] != PLAIN[name] and vault().decrypt(row[name]) == PLAIN[name]
    command.downgrade(alembic_config(folder, scratch_engine), "survey_0004")
    assert current(scratch_engine) == ("survey_0004",)
    assert stored_rows(scratch_engine) == [{"id": 1, "interview_id": 1, "name": PLAIN["name"],
                                            "phone": PLAIN["phone"], "email": None,
                                            "note": PLAIN["note"]}]
