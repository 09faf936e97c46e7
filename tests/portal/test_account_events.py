"""Account events: kept in an append-only table an admin pages through, and written as
JSON log lines."""

import json
import logging

import pytest
from sqlalchemy import select

from services.portal import account_events
from services.portal.models.account_event import AccountEvent
from shared.logs import JsonFormatter
from tests.portal.portal_support import post_form, sign_in


def test_an_event_is_a_row_and_a_json_log_line(db, clock):
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(JsonFormatter("portal").format(record))
    logger = logging.getLogger("kaoping.portal.accounts")
    logger.addHandler(handler)
    level = logger.level
    # setLevel, not an assignment: it clears the loggers' cached isEnabledFor answers,
    # which an earlier test in the same process may have left at "INFO is off".
    logger.setLevel(logging.INFO)
    try:
        account_events.record(db, "sign_in.failed", clock(), subject="ming",
                              address="10.0.0.1", reason="credentials")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    entry = json.loads(lines[0])
    assert entry["message"] == "sign_in.failed"
    assert entry["event"] == {"kind": "sign_in.failed", "at": clock().isoformat(),
                              "actor": None, "subject": "ming", "address": "10.0.0.1",
                              "reason": "credentials"}
    row = db.scalar(select(AccountEvent))
    assert (row.kind, row.subject, row.details) == ("sign_in.failed", "ming",
                                                    {"reason": "credentials"})


def test_events_cannot_be_changed_or_deleted(db, clock):
    account_events.record(db, "sign_out", clock(), actor="ming", subject="ming")
    db.commit()
    row = db.scalar(select(AccountEvent))
    row.kind = "sign_in.succeeded"
    with pytest.raises(PermissionError):
        db.flush()
    db.rollback()
    db.delete(db.scalar(select(AccountEvent)))
    with pytest.raises(PermissionError):
        db.flush()
    db.rollback()


def test_an_unknown_kind_is_refused(db, clock):
    with pytest.raises(ValueError):
        account_events.record(db, "made.up", clock())


def test_an_admin_pages_through_the_events_newest_first(portal_app, make_person, db, clock):
    make_person("boss", "admin")
    for i in range(60):
        account_events.record(db, "sign_in.failed", clock(), subject=f"user{i:02d}",
                              address="10.0.0.1")
    db.commit()
    client = portal_app.test_client()
    sign_in(client, "boss")
    first = client.get("/events").get_data(as_text=True)
    assert "共 62 条" in first and "第 1 页，共 2 页" in first
    assert "sign_in.succeeded" in first and "user59" in first and "user09" not in first
    second = client.get("/events?page=2").get_data(as_text=True)
    assert "user09" in second and "user00" in second and "person.created" in second


def test_sign_ins_failures_and_sign_outs_are_recorded(portal_app, make_person, db):
    make_person("ming", "planner")
    client = portal_app.test_client()
    sign_in(client, "ming", "wrong password")
    sign_in(client, "ming")
    post_form(client, "/", {}, action="/sign-out")
    kinds = [e.kind for e in db.scalars(select(AccountEvent).order_by(AccountEvent.id))]
    assert kinds == ["person.created", "sign_in.failed", "sign_in.succeeded", "sign_out"]
    address = db.scalars(select(AccountEvent.address).order_by(AccountEvent.id)).all()[-1]
    assert address == "127.0.0.1"
