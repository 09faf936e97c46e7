"""Numbers at rest (shared by the telephone frame and the reminder numbers)."""

import pytest
from cryptography.fernet import Fernet

from shared.config import ConfigError
from shared.phone_vault import PhoneVault, normalise_number, phone_vault


def test_encrypt_decrypt_digest_and_rotation():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    vault = phone_vault(old, "hash-key", "SCORING_PHONE_KEYS")
    token = vault.encrypt("+8613800138000")
    assert "13800138000" not in token and vault.decrypt(token) == "+8613800138000"
    assert vault.digest("+8613800138000") == PhoneVault([new], "hash-key").digest(
        "+8613800138000")  # the hash does not depend on the encryption keys
    rotated = PhoneVault([new, old], "hash-key")
    assert PhoneVault([new], "h").decrypt(rotated.rotate(token)) == "+8613800138000"
    with pytest.raises(ConfigError, match="SCORING_PHONE_KEYS"):
        PhoneVault([new], "h", "SCORING_PHONE_KEYS").decrypt(token)
    with pytest.raises(ConfigError, match="SCORING_PHONE_KEYS must be"):
        PhoneVault(["not a key"], "h", "SCORING_PHONE_KEYS")


def test_numbers_are_normalised_to_e164():
    assert normalise_number("138 0013 8000") == "+8613800138000"
    assert normalise_number("+86 571 8888 0000") == "+8657188880000"
    for bad in ("", "12345", "abc"):
        with pytest.raises(ValueError):
            normalise_number(bad)
