"""Password rules (length, common passwords, username) and the Argon2id parameters."""

import pytest
from argon2 import extract_parameters

from services.portal import passwords


@pytest.mark.parametrize("password, broken", [
    ("short9!", "at least 10"),
    ("x" * 257, "at most 256"),
    ("1qaz2wsx3edc", "too common"),           # zxcvbn's list
    ("QwertyuiOP", "too common"),             # case is ignored
    ("  password123  ", "too common"),        # so are surrounding spaces
    ("woaini1314", "too common"),             # our own list (common among Chinese users)
    ("xiaoming-secret-7", "username"),
])
def test_a_password_that_breaks_a_rule_is_refused(password, broken):
    found = [str(text) for text in passwords.problems(password, "xiaoming")]
    assert any(broken in text for text in found), found


def test_a_long_uncommon_password_passes():
    assert passwords.problems("Lantern-harbour-42", "xiaoming") == []
    assert passwords.problems("a" * 10 + "Z9") == []


def test_check_names_the_field_with_every_broken_rule():
    with pytest.raises(passwords.ValidationFailed) as raised:
        passwords.check("admin", "admin", field="new")
    assert list(raised.value.errors) == ["new"]
    assert len(raised.value.errors["new"]) == 3  # too short, too common, has the username


def test_the_common_list_has_zxcvbns_passwords_and_ours():
    common = passwords.common_passwords()
    assert len(common) > 29_000
    assert {"qwertyuiop", "1234567890", "woaini1314", "5201314520"} <= common


def test_hashes_are_argon2id_with_the_stated_parameters():
    hashed = passwords.hash_password("Lantern-harbour-42")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    parameters = extract_parameters(hashed)
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism,
            parameters.hash_len, parameters.salt_len) == (3, 65536, 4, 32, 16)
    assert hashed != passwords.hash_password("Lantern-harbour-42")  # salted


def test_verify_accepts_the_password_only():
    hashed = passwords.hash_password("Lantern-harbour-42")
    assert passwords.verify(hashed, "Lantern-harbour-42")
    assert not passwords.verify(hashed, "lantern-harbour-42")
    assert not passwords.verify(None, "not a password of anyone")
    assert not passwords.verify("not a hash", "Lantern-harbour-42")


def test_a_hash_with_weaker_parameters_needs_a_rehash():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("x" * 12)
    assert passwords.needs_rehash(weak)
    assert not passwords.needs_rehash(passwords.hash_password("x" * 12))


def test_generated_passwords_pass_the_rules_and_differ():
    made = {passwords.generate() for _ in range(20)}
    assert len(made) == 20
    assert all(len(p) == 16 and not passwords.problems(p) for p in made)
    assert not set("0O1lI") & set("".join(made))
