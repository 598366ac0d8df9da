"""Personal fields encrypted at rest, and blind indexes for equality lookups.

One secret (``BANSHI_SECRET_KEY``, or a development key file) yields separate sub-keys by
HKDF, one per use, so a token for a link can never be replayed as a blind index and the
encryption key is never used for anything else. Encryption is AES-256-GCM with a random
96-bit nonce: authenticated, so a wrong key or a changed byte raises :class:`CipherError`
instead of returning garbage.

A blind index is a keyed HMAC of a *normalised* value (normalise with
:mod:`banshi.privacy.idnumbers` first): equal values give equal indexes, so "one booking per
ID number per day" is a unique key on the index, while the database never holds the number.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_ENV = "BANSHI_SECRET_KEY"
MIN_SECRET_CHARS = 32
DEV_SECRET_FILE = "secret.key"

# Token format: "g1." + urlsafe base64 (no padding) of nonce (12 bytes) + ciphertext + tag.
# The prefix names the scheme, so a later scheme can be told apart from this one.
_TOKEN_PREFIX = "g1."
_NONCE_BYTES = 12
_SALT = b"banshi-field-keys-v1"


class CipherError(Exception):
    """A token could not be decrypted: wrong key, changed or truncated token."""


class KeyPurpose:
    """The HKDF ``info`` labels; one sub-key per purpose."""

    ENCRYPTION = "encryption"
    BLIND_INDEX = "blind-index"
    LINKS = "links"


def derive_key(secret: bytes, purpose: str, length: int = 32) -> bytes:
    """A sub-key for ``purpose`` (HKDF-SHA256); different purposes give unrelated keys."""
    if not secret:
        raise ValueError("the secret is empty: set BANSHI_SECRET_KEY")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=length,
        salt=_SALT,
        info=f"banshi/{purpose}".encode(),
    )
    return hkdf.derive(secret)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FieldCipher:
    """Encrypts personal fields at rest; a blind index allows equality lookups (one booking per
    ID number per day) without storing the value."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(derive_key(secret, KeyPurpose.ENCRYPTION))
        self._index_key = derive_key(secret, KeyPurpose.BLIND_INDEX)

    def encrypt(self, plaintext: str) -> str:
        """An ASCII token (``g1.`` + url-safe base64); the same text encrypts differently each time."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return _TOKEN_PREFIX + _b64encode(nonce + sealed)

    def decrypt(self, token: str) -> str:
        """The plaintext of :meth:`encrypt`'s token; :class:`CipherError` when it cannot be trusted."""
        if not token.startswith(_TOKEN_PREFIX):
            raise CipherError("not a Banshi field token (expected the prefix 'g1.')")
        try:
            raw = _b64decode(token[len(_TOKEN_PREFIX) :])
        except (binascii.Error, ValueError) as exc:
            raise CipherError("the token is not valid base64") from exc
        if len(raw) < _NONCE_BYTES + 16:
            raise CipherError("the token is truncated")
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
        except InvalidTag as exc:
            raise CipherError("wrong key, or the token was changed") from exc
        return plain.decode("utf-8")

    def blind_index(self, value: str, purpose: str) -> str:
        """64 hex characters: HMAC-SHA256 of ``value`` under a sub-key for ``purpose``.

        ``purpose`` (e.g. ``"booking.id_number"``) keeps indexes of different columns
        unrelated, so equal values in two tables cannot be joined by their index.
        """
        if not purpose:
            raise ValueError("blind_index needs a purpose, e.g. 'booking.id_number'")
        sub_key = hmac.new(self._index_key, purpose.encode("utf-8"), hashlib.sha256).digest()
        return hmac.new(sub_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def secret_from_text(text: str) -> bytes:
    """Key material from ``BANSHI_SECRET_KEY`` as given; at least 32 characters."""
    value = text.strip()
    if len(value) < MIN_SECRET_CHARS:
        raise ValueError(
            f"{SECRET_ENV} is too short ({len(value)} characters); use at least "
            f"{MIN_SECRET_CHARS}, e.g. the output of: python -c "
            '"import secrets; print(secrets.token_urlsafe(48))"'
        )
    return value.encode("utf-8")


def dev_secret(var_dir: Path) -> bytes:
    """The development secret in ``var_dir/secret.key``, created (mode 0600) on first use.

    Only for development, when ``BANSHI_SECRET_KEY`` is unset; the caller logs a warning.
    The file holds text that is also a valid ``BANSHI_SECRET_KEY``, so a deployment can
    move to the environment variable without losing its data. Two processes starting at
    once agree on one key: the file appears whole or not at all (written aside, then linked).
    """
    path = Path(var_dir) / DEV_SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{DEV_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process won: use its key
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return secret_from_text(path.read_text(encoding="ascii"))


def is_cipher_token(value: str) -> bool:
    """True for a token from :meth:`FieldCipher.encrypt` (it needs no further masking)."""
    return value.startswith(_TOKEN_PREFIX)
