"""Phone numbers at rest: MultiFernet encryption and a keyed hash for de-duplication
(``shared.phone_vault``, which the scoring service's reminder numbers use too).

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

from shared.phone_vault import PhoneVault, phone_vault

__all__ = ["PhoneVault", "install_vault", "vault"]

_installed: list[PhoneVault] = []


def install_vault(keys: str, hash_key: str) -> PhoneVault:
    """Make the vault of ``keys`` (comma-separated) and ``hash_key`` this process's vault."""
    _installed[:] = [phone_vault(keys, hash_key)]
    return _installed[0]


def vault() -> PhoneVault:
    """The vault this process installed when it started. A process that installed none
    (``kaoping migrate`` running revision survey_0005) gets the one of the settings."""
    if not _installed:
        from services.survey.config import PhoneKeys

        keys = PhoneKeys.from_env()
        install_vault(keys.keys, keys.hash_key)
    return _installed[0]
