"""Capability links for notice pages."""

from __future__ import annotations

from banshi.privacy.links import check_link_token, link_token

SECRET = b"a-test-secret-that-is-long-enough-0123456789"


def test_token_shape_and_check() -> None:
    token = link_token(SECRET, "notice", "BS2026000123")
    assert len(token) == 22
    assert all(c.isalnum() or c in "-_" for c in token)
    assert token == link_token(SECRET, "notice", "BS2026000123")
    assert check_link_token(SECRET, "notice", "BS2026000123", token)


def test_token_fails_elsewhere() -> None:
    token = link_token(SECRET, "notice", "BS2026000123")
    assert not check_link_token(SECRET, "notice", "BS2026000124", token)
    assert not check_link_token(SECRET, "booking", "BS2026000123", token)
    assert not check_link_token(
        b"another-secret-that-is-long-enough-12345", "notice", "BS2026000123", token
    )
    assert not check_link_token(SECRET, "notice", "BS2026000123", "")
    assert not check_link_token(SECRET, "notice", "BS2026000123", token[:-1])
    assert not check_link_token(SECRET, "notice", "BS2026000123", "票据号码非法字符")
