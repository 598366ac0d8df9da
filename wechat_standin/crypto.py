"""WeChat's signatures and AES envelope, written from the protocol for the stand-in alone.

The stand-in judges the channel, so it must not use the channel's code, nor the library the
channel uses (wechatpy, over ``cryptography``): AES here is pycryptodome's. The rules
(公众平台 消息加解密说明, and Tencent's WXBizMsgCrypt sample code):

* ``signature = sha1(sorted([token, timestamp, nonce]))`` on every push;
  ``msg_signature`` adds the ``Encrypt`` ciphertext to the sorted list;
* AES-256-CBC with ``key = b64decode(EncodingAESKey + "=")`` and ``IV = key[:16]``;
* plaintext = 16 random bytes + the XML's length (4 bytes, big-endian) + XML + appid,
  padded with PKCS#7 to a multiple of **32** bytes (not AES's 16), then base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import struct
from dataclasses import dataclass
from typing import Any

from Crypto.Cipher import AES

KEY_CHARS = 43  # an EncodingAESKey: 43 letters and digits, base64 of 32 bytes without '='
PAD_BLOCK = 32  # WXBizMsgCrypt's PKCS7Encoder pads to 32 bytes
RANDOM_BYTES = 16


class CryptoError(ValueError):
    """A ciphertext that WeChat's rules do not open; the message says which rule it broke."""


def signature(*parts: str) -> str:
    """sha1 of the parts sorted and joined: ``signature`` (token, timestamp, nonce) and
    ``msg_signature`` (the same plus ``Encrypt``)."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of an EncodingAESKey."""
    if len(encoding_aes_key) != KEY_CHARS or not encoding_aes_key.isalnum():
        raise CryptoError(
            f"an EncodingAESKey is {KEY_CHARS} letters and digits, "
            f"got {len(encoding_aes_key)} characters"
        )
    return base64.b64decode(encoding_aes_key + "=")


def pad(data: bytes) -> bytes:
    """PKCS#7 to a multiple of 32 bytes (a whole block of 32 when already aligned)."""
    size = PAD_BLOCK - len(data) % PAD_BLOCK
    return data + bytes([size]) * size


def unpad(data: bytes) -> bytes:
    """Strict PKCS#7 removal: the last byte says 1 to 32, and every padding byte says it too."""
    size = data[-1] if data else 0
    if not 1 <= size <= PAD_BLOCK or data[-size:] != bytes([size]) * size:
        raise CryptoError("bad PKCS#7 padding (WeChat pads to 32 bytes)")
    return data[:-size]


@dataclass(frozen=True)
class Envelope:
    """One 公众号's AES envelope: what WeChat encrypts pushes with and opens replies with."""

    token: str
    appid: str
    encoding_aes_key: str

    def _cipher(self) -> Any:  # pycryptodome's CbcMode (its stubs are not installed)
        key = aes_key(self.encoding_aes_key)
        return AES.new(key, AES.MODE_CBC, iv=key[:16])

    def encrypt(self, xml: str, random_prefix: bytes | None = None) -> str:
        """The base64 ``Encrypt`` of ``xml`` (``random_prefix``: 16 bytes, for test vectors)."""
        prefix = secrets.token_bytes(RANDOM_BYTES) if random_prefix is None else random_prefix
        if len(prefix) != RANDOM_BYTES:
            raise CryptoError(f"the random prefix is {RANDOM_BYTES} bytes")
        body = xml.encode("utf-8")
        plain = prefix + struct.pack(">I", len(body)) + body + self.appid.encode("utf-8")
        return base64.b64encode(self._cipher().encrypt(pad(plain))).decode("ascii")

    def decrypt(self, encrypt: str) -> str:
        """The XML inside ``encrypt``; :class:`CryptoError` unless every rule holds, including
        that the appid at the end is this account's."""
        try:
            sealed = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("Encrypt is not base64") from None
        if not sealed or len(sealed) % PAD_BLOCK:
            raise CryptoError(f"the ciphertext is not a multiple of {PAD_BLOCK} bytes")
        plain = unpad(self._cipher().decrypt(sealed))
        if len(plain) < RANDOM_BYTES + 4:
            raise CryptoError("the plaintext is shorter than its header")
        (length,) = struct.unpack(">I", plain[RANDOM_BYTES : RANDOM_BYTES + 4])
        body = plain[RANDOM_BYTES + 4 :]
        if length > len(body):
            raise CryptoError("the length field is larger than the plaintext")
        appid = body[length:].decode("utf-8", errors="replace")
        if appid != self.appid:
            raise CryptoError(f"sealed for appid {appid!r}, not {self.appid!r}")
        try:
            return body[:length].decode("utf-8")
        except UnicodeDecodeError:
            raise CryptoError("the XML is not UTF-8") from None

    def msg_signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return signature(self.token, timestamp, nonce, encrypt)
