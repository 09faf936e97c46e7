"""Signing in: lock-out per account (5 failures → 15 minutes) and per address, on a
clock the test moves; every attempt is an account event."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.portal import passwords, signin
from services.portal.clock import as_utc
from services.portal.models.account_event import AccountEvent
from services.portal.models.person import Person
from tests.portal.portal_support import PASSWORD

POLICY = signin.LockoutPolicy(failures=5, lock_minutes=15, address_failures=8)


def kinds(db):
    return [e.kind for e in db.scalars(select(AccountEvent).order_by(AccountEvent.id))]


def attempt(db, clock, password, username="ming", address="10.0.0.1"):
    return signin.sign_in(db, username, password, address, clock(), POLICY)


def test_the_right_password_signs_in_and_is_recorded(db, clock, make_person):
    make_person("ming", "planner")
    assert attempt(db, clock, PASSWORD, username="  Ming ").username == "ming"
    assert kinds(db)[-1] == "sign_in.succeeded"


def test_five_failures_lock_the_account_for_fifteen_minutes(db, clock, make_person):
    make_person("ming", "planner")
    for _ in range(4):
        with pytest.raises(signin.SignInRefused) as refused:
            attempt(db, clock, "wrong password")
        assert refused.value.reason == "credentials"
        clock.advance(minutes=1)
    with pytest.raises(signin.SignInRefused) as refused:
        attempt(db, clock, "wrong password")
    assert refused.value.reason == "locked"
    assert refused.value.until == clock() + timedelta(minutes=15)
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(signin.SignInRefused) as refused:
        attempt(db, clock, PASSWORD)          # even the right password waits
    assert refused.value.reason == "locked"
    clock.advance(seconds=1)
    assert attempt(db, clock, PASSWORD).failed_count == 0
    assert kinds(db) == ["person.created", *["sign_in.failed"] * 5, "sign_in.locked",
                         "sign_in.refused_locked", "sign_in.succeeded"]


def test_failures_spread_over_more_than_the_window_do_not_lock(db, clock, make_person):
    make_person("ming", "planner")
    for _ in range(8):
        with pytest.raises(signin.SignInRefused) as refused:
            attempt(db, clock, "wrong password", address=f"10.0.0.{_}")
        assert refused.value.reason == "credentials"
        clock.advance(minutes=4)
    assert attempt(db, clock, PASSWORD).username == "ming"


def test_the_count_starts_again_after_a_lock_ends(db, clock, make_person):
    make_person("ming", "planner")
    for _ in range(5):
        with pytest.raises(signin.SignInRefused):
            attempt(db, clock, "wrong password")
    clock.advance(minutes=15)
    with pytest.raises(signin.SignInRefused) as refused:
        attempt(db, clock, "wrong password")
    assert refused.value.reason == "credentials"
    person = db.scalar(select(Person))
    assert person.failed_count == 1 and person.locked_until is None


def test_an_address_with_many_failures_is_refused_for_the_window(db, clock, make_person):
    make_person("ming", "planner")
    for i in range(POLICY.address_failures):
        with pytest.raises(signin.SignInRefused) as refused:
            attempt(db, clock, "guess", username=f"nobody{i}", address="10.9.9.9")
        assert refused.value.reason == "credentials"
    first = clock()
    clock.advance(minutes=5)
    with pytest.raises(signin.SignInRefused) as refused:
        attempt(db, clock, PASSWORD, address="10.9.9.9")
    assert refused.value.reason == "address"
    assert refused.value.until == first + timedelta(minutes=15)
    assert attempt(db, clock, PASSWORD, address="10.0.0.2").username == "ming"
    clock.advance(minutes=10)
    assert attempt(db, clock, PASSWORD, address="10.9.9.9").username == "ming"
    assert "sign_in.address_limited" in kinds(db)


def test_unknown_usernames_are_recorded_and_refused_alike(db, clock):
    with pytest.raises(signin.SignInRefused) as refused:
        attempt(db, clock, "whatever", username="ghost")
    assert refused.value.reason == "credentials"
    event = db.scalar(select(AccountEvent))
    assert (event.kind, event.subject, event.details) == (
        "sign_in.failed", "ghost", {"reason": "unknown username"})


def test_a_disabled_account_cannot_sign_in(db, clock, make_person):
    make_person("ming", "planner")
    db.scalar(select(Person)).disabled_at = clock()
    with pytest.raises(signin.SignInRefused) as refused:
        attempt(db, clock, PASSWORD)
    assert refused.value.reason == "disabled"


def test_an_old_hash_is_upgraded_at_sign_in(db, clock, make_person):
    from argon2 import PasswordHasher

    make_person("ming", "planner")
    person = db.scalar(select(Person))
    person.password_hash = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=2,
                                          salt_len=8).hash(PASSWORD)
    assert passwords.needs_rehash(person.password_hash)
    attempt(db, clock, PASSWORD)
    assert not passwords.needs_rehash(person.password_hash)
    assert passwords.verify(person.password_hash, PASSWORD)


def test_locked_until_is_kept_in_utc(db, clock, make_person):
    make_person("ming", "planner")
    for _ in range(5):
        with pytest.raises(signin.SignInRefused):
            attempt(db, clock, "wrong password")
    db.flush()
    db.expire_all()
    assert as_utc(db.scalar(select(Person)).locked_until) == clock() + timedelta(minutes=15)
