"""Password rules and Argon2id hashing.

Hashes: Argon2id (argon2-cffi) with RFC 9106's second recommended option, the
"low-memory" one: time cost 3, memory 64 MiB (65,536 KiB), parallelism 4, a 16-byte
salt and a 32-byte hash. A hash made with other parameters is replaced at the next
successful sign-in (``needs_rehash``).

Rules: at least 10 and at most 256 characters, not the username, and not in the list
of common passwords: the 30,000 most common of zxcvbn's list (the ``zxcvbn`` package)
and the short list beside this file of passwords common among Chinese users. The
comparison ignores case and surrounding spaces.
"""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l

from shared.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 256
ARGON2 = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4, "hash_len": 32,
          "salt_len": 16, "type": Type.ID}
HASHER = PasswordHasher(**ARGON2)
# Verified against when nobody has the username, so that the answer takes as long; made
# on first use (an Argon2 hash costs a good part of a second, too much for every import).
_DUMMY_HASH: str | None = None
COMMON_LIST = Path(__file__).with_name("common_passwords.txt")
# Letters and digits without look-alikes (0/O, 1/l/I), for generated passwords and codes.
ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's 30,000 most common passwords and our own list, lower-cased."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    own = [line.strip() for line in COMMON_LIST.read_text(encoding="utf-8").splitlines()
           if line.strip() and not line.startswith("#")]
    return frozenset(word.lower() for word in [*FREQUENCY_LISTS["passwords"], *own])


def problems(password: str, username: str = "") -> list:
    """The rules ``password`` breaks (translatable texts), empty when it is acceptable."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        found.append(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    folded = password.strip().lower()
    if folded in common_passwords():
        found.append(_l("This password is too common; choose another."))
    if username and username.lower() in folded:
        found.append(_l("The password must not contain the username."))
    return found


def check(password: str, username: str = "", field: str = "password") -> None:
    """Raise ValidationFailed naming ``field`` with every rule the password breaks."""
    found = problems(password, username)
    if found:
        raise ValidationFailed("Password does not meet the rules", {field: found})


def dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = HASHER.hash("not a password of anyone")
    return _DUMMY_HASH


def hash_password(password: str) -> str:
    """Argon2id hash in PHC string form (``$argon2id$v=19$m=65536,t=3,p=4$...``)."""
    return HASHER.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash costs the same time and is False."""
    try:
        return HASHER.verify(password_hash or dummy_hash(), password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return HASHER.check_needs_rehash(password_hash)


def generate(length: int = 16) -> str:
    """A random password of ``length`` characters from ``ALPHABET`` (~5.8 bits each)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
