"""Deadline reminders: the right zh-CN texts on the right days of an injected clock,
nothing in quiet hours, nothing twice with two workers racing, nothing to opted-out
numbers, delivery statuses from signed status callbacks (bad signatures refused; one
that comes before its message is stored is held and applied). SMS go
through the ``twilio`` library to the simulated carrier over real HTTP."""

from __future__ import annotations

import threading
import time as clock
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from services.scoring.models.reminders import HeldMessageStatus, ReminderMessage
from services.scoring.reminders import (
    HOLD_FOR,
    Schedule,
    commit_and_apply_held,
    record_status,
    send_round,
)
from tests.scoring import reminder_support
from tests.scoring.reminder_support import ORDERS, TOKEN, at, wait_for_statuses

pytestmark = pytest.mark.commits
reminder_county = reminder_support.reminder_county


def test_the_schedule():
    schedule = Schedule(days_before=3)
    due = date(2026, 6, 20)
    kinds = {offset: schedule.kind_on(due, due + timedelta(days=offset))
             for offset in range(-5, 35)}
    assert {k: v for k, v in kinds.items() if v} == {
        -3: "before", 0: "due", 1: "overdue", 8: "overdue", 15: "overdue", 22: "overdue",
        29: "overdue"}
    assert schedule.is_quiet(at(17, 21)) and schedule.is_quiet(at(17, 7, 59))
    assert not schedule.is_quiet(at(17, 8)) and not schedule.is_quiet(at(17, 20, 59))
    day_quiet = Schedule(quiet_hours=(time(12), time(14)))
    assert day_quiet.is_quiet(at(17, 13)) and not day_quiet.is_quiet(at(17, 22))


def test_the_right_texts_on_the_right_days(reminder_county):
    run, outbox = reminder_county["round"], reminder_county["outbox"]
    assert run(at(17, 6)).quiet and run(at(17, 6)).sent == [] and outbox.messages == {}
    before = run(at(17, 9))
    assert [(s["case"], s["kind"]) for s in before.sent] == [
        ("instruction:1:T01", "before"), ("instruction:1:T02", "before"),
        ("milestone:KT9:1", "before")]
    assert before.sent[0]["text"] == ("【县考评办】单位T01：王县长批示件“河道清淤”（批〔2026〕3号）"
                                      "将于6月20日到期（还有3天），请按时办理。回复TD退订。")
    assert before.sent[2]["text"].startswith("【县考评办】单位T02：重点任务“乡村道路”第1个节点")
    assert before.sent[0]["messages"] == ["queued"]  # T01's second number opted out
    assert [(s["case"], s["kind"]) for s in run(at(18, 9)).sent] == [("order:7", "before")]
    assert run(at(18, 15)).sent == [] and run(at(17, 15)).sent == []
    assert run(at(17, 22)).quiet
    due = run(at(20, 8, 30))
    assert [(s["case"], s["kind"]) for s in due.sent] == [
        ("instruction:1:T01", "due"), ("instruction:1:T02", "due"), ("milestone:KT9:1", "due")]
    assert "今天（6月20日）到期，请于今日内办结并报送。" in due.sent[0]["text"]
    late = run(at(21, 10))
    assert [(s["case"], s["kind"]) for s in late.sent] == [
        ("instruction:1:T01", "overdue"), ("instruction:1:T02", "overdue"),
        ("milestone:KT9:1", "overdue"), ("order:7", "due")]
    assert "已于6月20日到期，已逾期1天" in late.sent[0]["text"]
    assert "整改通知（第7号）今天（6月21日）到期" in late.sent[3]["text"]
    recipients = sorted(m.to for m in outbox.messages.values())
    assert "+8613800138002" not in recipients
    assert recipients.count("+8613800138001") == 3 and recipients.count("+8613800138003") == 8
    assert wait_for_statuses(reminder_county["factory"], {"delivered"}) == ["delivered"] * 11
    listed = reminder_county["client"].get("/api/v1/reminders?unit=T02&day=2026-06-21",
                                  headers=reminder_county["planner"]).json
    assert [r["case"] for r in listed] == ["order:7", "milestone:KT9:1", "instruction:1:T02"]
    assert listed[0]["messages"][0]["to"] == "…8003"


def test_two_workers_racing_send_each_reminder_once(reminder_county):
    barrier, results = threading.Barrier(2), []

    def worker():
        barrier.wait()
        results.append(reminder_county["round"](at(17, 9)))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(len(r.sent) for r in results) in ([0, 3], [1, 2], [3, 0], [2, 1])
    assert sum(len(r.sent) for r in results) == 3
    assert sum(r.skipped_claimed for r in results) == 3
    texts = [m.body for m in reminder_county["outbox"].messages.values()]
    assert len(texts) == 3 and len(set(texts)) == 3


def test_status_callbacks_are_signed(reminder_county):
    client, factory = reminder_county["client"], reminder_county["factory"]
    reminder_county["round"](at(17, 9))
    with factory() as session:
        sid = session.scalars(select(ReminderMessage.sid)).first()
    public = client.application.config["PUBLIC_BASE_URL"] + "/api/v1/reminders/status"
    form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    good = RequestValidator(TOKEN).compute_signature(public, form)
    forged = RequestValidator("forged").compute_signature(public, form)
    assert client.post("/api/v1/reminders/status", data=form).status_code == 403
    refused = client.post("/api/v1/reminders/status", data=form,
                          headers={"X-Twilio-Signature": forged})
    assert refused.status_code == 403 and "Signature" in refused.json["message"]
    assert client.post("/api/v1/reminders/status", data={**form, "MessageStatus": "failed"},
                       headers={"X-Twilio-Signature": good}).status_code == 403
    wait_for_statuses(factory, {"delivered"})
    assert client.post("/api/v1/reminders/status", data=form,
                       headers={"X-Twilio-Signature": good}).status_code == 204
    with factory() as session:
        message = session.scalar(select(ReminderMessage).where(ReminderMessage.sid == sid))
    assert message.status == "delivered"  # an earlier status never overwrites a later one


def test_a_status_that_comes_before_its_message_is_stored_is_kept(reminder_county):
    factory, sms = reminder_county["factory"], reminder_county["sms"]

    def slow_send(to, body):
        sent = sms.send(to, body)
        clock.sleep(0.5)   # the carrier's callbacks (after 50 and 100 ms) arrive meanwhile
        return sent

    sent = send_round(factory, at(17, 9), Schedule(days_before=3), reminder_county["vault"],
                      slow_send, lambda: ORDERS)
    assert [m for s in sent.sent for m in s["messages"]] == ["queued"] * 3
    assert wait_for_statuses(factory, {"delivered"}) == ["delivered"] * 3
    with factory() as session:
        assert session.scalars(select(HeldMessageStatus)).all() == []


def test_a_held_status_only_moves_forward_and_an_unclaimed_one_is_dropped(reminder_county):
    factory = reminder_county["factory"]
    with factory() as session:
        for status in ("delivered", "sent", "bogus"):
            assert record_status(session, {"MessageSid": "SMnotyet", "MessageStatus": status,
                                           "ErrorCode": "30003"}) is False
        session.commit()
        held = session.get(HeldMessageStatus, "SMnotyet")
        assert (held.status, held.error) == ("delivered", "30003")
        assert commit_and_apply_held(session) == 0  # its message is not there (yet)
        assert session.get(HeldMessageStatus, "SMnotyet") is not None
        held.received_at -= HOLD_FOR + timedelta(minutes=1)
        assert commit_and_apply_held(session) == 0
        assert session.scalars(select(HeldMessageStatus)).all() == []
