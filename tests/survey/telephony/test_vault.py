"""The phone vault: numbers encrypted (MultiFernet), keyed hashes, key rotation."""

from __future__ import annotations

from cryptography.fernet import Fernet

from services.survey.telephony.vault import PhoneVault


def test_vault_encrypts_hashes_and_rotates_keys():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = PhoneVault([old], "hash-key")
    token = before.encrypt("+8613900010001")
    assert "13900010001" not in token
    after = PhoneVault([new, old], "hash-key")
    assert after.decrypt(token) == "+8613900010001"
    rotated = after.rotate(token)
    assert PhoneVault([new], "hash-key").decrypt(rotated) == "+8613900010001"
    assert before.digest("+8613900010001") == after.digest("+8613900010001")
    assert PhoneVault([old], "other").digest("+8613900010001") != before.digest(
        "+8613900010001")
