"""Capability links: a page for one notice (or booking, ticket) opens only with its token.

Numbers such as BS2026000123 are serial and easy to guess, so the number alone must not open
a page that holds a citizen's case. The token is an HMAC of the kind and the number under
the links sub-key (see :mod:`banshi.privacy.crypto`): nothing to store, nothing to look up,
and it cannot be forged without the secret. 128 bits, 22 url-safe characters.

Proposed URL: ``/notices/{number}?t={token}`` (the existing route keeps its path; a missing
or wrong token answers 404, the same as an unknown number, so numbers cannot be probed).
Serve such pages with ``Referrer-Policy: no-referrer`` so the token does not leak onward.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from banshi.privacy.crypto import KeyPurpose, derive_key

TOKEN_BYTES = 16


def link_token(secret: bytes, kind: str, number: str) -> str:
    """The token for the page of ``number`` of ``kind`` (``"notice"``, ``"booking"``, …)."""
    if not kind or not number:
        raise ValueError("a link token needs a kind and a number")
    key = derive_key(secret, KeyPurpose.LINKS)
    message = f"{kind}\x00{number}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_link_token(secret: bytes, kind: str, number: str, token: str) -> bool:
    """True when ``token`` opens ``number``'s page; compared in constant time."""
    if not token or not kind or not number:
        return False
    expected = link_token(secret, kind, number)
    return hmac.compare_digest(expected.encode("ascii"), token.encode("utf-8", "replace"))
