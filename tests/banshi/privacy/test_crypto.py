"""FieldCipher: authenticated encryption, blind indexes, the secret's sources."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from banshi.privacy.crypto import (
    CipherError,
    FieldCipher,
    KeyPurpose,
    derive_key,
    dev_secret,
    is_cipher_token,
    secret_from_text,
)

SECRET = b"a-test-secret-that-is-long-enough-0123456789"
OTHER = b"another-test-secret-that-is-long-enough-98765"


@pytest.fixture(scope="module")
def cipher() -> FieldCipher:
    return FieldCipher(SECRET)


def test_round_trip_and_random_nonce(cipher: FieldCipher) -> None:
    first = cipher.encrypt("11010519491231002X")
    second = cipher.encrypt("11010519491231002X")
    assert first != second
    assert cipher.decrypt(first) == cipher.decrypt(second) == "11010519491231002X"
    assert cipher.decrypt(cipher.encrypt("张三 欧阳娜娜")) == "张三 欧阳娜娜"
    assert first.isascii() and "11010519491231002X" not in first
    assert is_cipher_token(first)


def test_wrong_key_raises(cipher: FieldCipher) -> None:
    token = cipher.encrypt("13800138000")
    with pytest.raises(CipherError):
        FieldCipher(OTHER).decrypt(token)


@pytest.mark.parametrize("damage", ["flip", "truncate", "prefix", "garbage"])
def test_tampered_token_raises(cipher: FieldCipher, damage: str) -> None:
    token = cipher.encrypt("13800138000")
    if damage == "flip":
        i = len(token) - 5
        token = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    elif damage == "truncate":
        token = token[:20]
    elif damage == "prefix":
        token = "x" + token
    else:
        token = "g1.%%%%"
    with pytest.raises(CipherError):
        cipher.decrypt(token)


def test_blind_index(cipher: FieldCipher) -> None:
    a = cipher.blind_index("11010519491231002X", "booking.id_number")
    assert a == FieldCipher(SECRET).blind_index("11010519491231002X", "booking.id_number")
    assert len(a) == 64 and "11010519491231002X" not in a
    assert a != cipher.blind_index("11010519491231002X", "ticket.id_number")
    assert a != cipher.blind_index("440301199003071230", "booking.id_number")
    assert a != FieldCipher(OTHER).blind_index("11010519491231002X", "booking.id_number")
    with pytest.raises(ValueError):
        cipher.blind_index("x", "")


def test_sub_keys_differ() -> None:
    keys = {
        derive_key(SECRET, p)
        for p in (KeyPurpose.ENCRYPTION, KeyPurpose.BLIND_INDEX, KeyPurpose.LINKS)
    }
    assert len(keys) == 3


def test_secret_from_text() -> None:
    assert secret_from_text("  " + "k" * 32 + "\n") == b"k" * 32
    with pytest.raises(ValueError, match="BANSHI_SECRET_KEY"):
        secret_from_text("short")


def test_dev_secret_is_created_once_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    first = dev_secret(var)
    assert dev_secret(var) == first
    path = var / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # the file's text works as BANSHI_SECRET_KEY
    assert secret_from_text(path.read_text()) == first
    assert len(first) >= 32
    assert [p.name for p in var.iterdir()] == ["secret.key"]  # no temporary file left
    os.remove(path)
    assert dev_secret(var) != first
