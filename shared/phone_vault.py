"""Phone numbers at rest, for every service that keeps them: MultiFernet encryption and
a keyed hash (HMAC-SHA256) for finding a number without decrypting it.

The keys come from the service's settings (``SURVEY_PHONE_KEYS`` and
``SURVEY_PHONE_HASH_KEY`` for the telephone frame, ``SCORING_PHONE_KEYS`` and
``SCORING_PHONE_HASH_KEY`` for the units' reminder numbers): comma-separated Fernet
keys, the first encrypts and all decrypt (rotation: a new key first, re-encrypt, drop
the old one); the hash key is never rotated, because every stored hash depends on it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.config import ConfigError


class PhoneVault:
    """Encrypts, decrypts and hashes E.164 numbers; ``setting`` names the keys' variable
    in error messages."""

    def __init__(self, keys: list[str], hash_key: str, setting: str = "SURVEY_PHONE_KEYS"):
        self.setting = setting
        try:
            self.fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys if k.strip()])
        except (ValueError, TypeError):
            raise ConfigError(f"{setting} must be comma-separated Fernet keys") from None
        self.hash_key = hash_key.encode()

    def encrypt(self, e164: str) -> str:
        return self.fernet.encrypt(e164.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Raise ConfigError when no configured key opens the token (a key was dropped)."""
        try:
            return self.fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigError(f"a stored phone number or contact cannot be decrypted with "
                              f"{self.setting} (was a key dropped too early?)") from None

    def rotate(self, token: str) -> str:
        return self.fernet.rotate(token.encode()).decode()

    def digest(self, e164: str) -> str:
        """HMAC-SHA256 of the E.164 number, hex (64 characters)."""
        return hmac.new(self.hash_key, e164.encode(), hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=8)
def phone_vault(keys: str, hash_key: str, setting: str = "SURVEY_PHONE_KEYS") -> PhoneVault:
    """The vault of ``keys`` (comma-separated) and ``hash_key``, made once per process."""
    return PhoneVault(keys.split(","), hash_key, setting)


def normalise_number(raw: str, region: str = "CN") -> str:
    """E.164 form of a number written the local or the international way.

    Raises ValueError (with a zh-CN / en reason) when it is not a valid number.
    """
    text = str(raw or "").strip()
    if not text:
        raise ValueError("empty / 号码为空")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"not a phone number: {text!r} / 不是电话号码") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid number: {text!r} / 号码无效")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
