"""Phone numbers at rest: MultiFernet encryption and a keyed hash for de-duplication.

``SURVEY_PHONE_KEYS`` holds comma-separated Fernet keys (``Fernet.generate_key()``);
the first encrypts, all decrypt. Rotation: put a new key first, restart, run
``kaoping survey rotate-phone-keys`` (re-encrypts every stored number with the first
key), then drop the old key. ``SURVEY_PHONE_HASH_KEY`` keys the HMAC-SHA256 used to
find duplicates and do-not-call matches without decrypting; it is never rotated,
because every stored hash depends on it. Both are read by ``services.survey.config``
(outside production each is generated once under ``var/secrets/``).

A process installs its vault when it starts (the app, the dialer, a command:
``install_vault``); the encrypted columns and the callers of ``vault()`` use it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.config import ConfigError


class PhoneVault:
    """Encrypts, decrypts and hashes E.164 numbers."""

    def __init__(self, keys: list[str], hash_key: str):
        try:
            self.fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys if k.strip()])
        except (ValueError, TypeError):
            raise ConfigError("SURVEY_PHONE_KEYS must be comma-separated Fernet keys") from None
        self.hash_key = hash_key.encode()

    def encrypt(self, e164: str) -> str:
        return self.fernet.encrypt(e164.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Raise ConfigError when no configured key opens the token (a key was dropped)."""
        try:
            return self.fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigError("a stored phone number or contact cannot be decrypted with "
                              "SURVEY_PHONE_KEYS (was a key dropped too early?)") from None

    def rotate(self, token: str) -> str:
        return self.fernet.rotate(token.encode()).decode()

    def digest(self, e164: str) -> str:
        """HMAC-SHA256 of the E.164 number, hex (64 characters)."""
        return hmac.new(self.hash_key, e164.encode(), hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=4)
def _cached(keys: str, hash_key: str) -> PhoneVault:
    return PhoneVault(keys.split(","), hash_key)


_installed: list[PhoneVault] = []


def install_vault(keys: str, hash_key: str) -> PhoneVault:
    """Make the vault of ``keys`` (comma-separated) and ``hash_key`` this process's vault."""
    _installed[:] = [_cached(keys, hash_key)]
    return _installed[0]


def vault() -> PhoneVault:
    """The vault this process installed when it started. A process that installed none
    (``kaoping migrate`` running revision survey_0005) gets the one of the settings."""
    if not _installed:
        from services.survey.config import PhoneKeys

        keys = PhoneKeys.from_env()
        install_vault(keys.keys, keys.hash_key)
    return _installed[0]
