"""Password hashing (argon2id), the password rule, and one-time passwords.

argon2-cffi stores its parameters inside each hash, so a hash made with cheaper test settings
still verifies, and :func:`PasswordHashing.needs_rehash` tells when a stored hash is weaker than
the current settings (it is then re-hashed at the next successful login).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 10
# One-time passwords are read aloud or copied from a terminal: no 0/O, 1/l/I.
_OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class WeakPassword(ValueError):
    """The new password breaks the password rule; the message says which part."""


@dataclass(frozen=True)
class PasswordHashing:
    """argon2id cost settings. The defaults are RFC 9106's second recommended option
    (t=3, m=64 MiB, p=4): about 60 ms per login on a 2-core hall server."""

    time_cost: int = 3
    memory_cost_kib: int = 64 * 1024
    parallelism: int = 4
    _hasher: PasswordHasher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hasher = PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_cost_kib,
            parallelism=self.parallelism,
        )
        object.__setattr__(self, "_hasher", hasher)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """True when ``password`` matches; a malformed stored hash is a mismatch, not a crash."""
        try:
            return bool(self._hasher.verify(stored_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return bool(self._hasher.check_needs_rehash(stored_hash))
        except InvalidHashError:
            return True


DEFAULT_HASHING = PasswordHashing()


def check_password_rule(password: str, username: str) -> None:
    """Raise :class:`WeakPassword` unless the password is long enough and not the username."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"密码至少需要 {MIN_PASSWORD_CHARS} 个字符。")
    if password.strip() != password:
        raise WeakPassword("密码的开头和结尾不能是空格。")
    if username.lower() in password.lower():
        raise WeakPassword("密码不能包含用户名。")
    if len(set(password)) < 4:
        raise WeakPassword("密码过于简单，请混用不同的字母、数字或符号。")


def one_time_password() -> str:
    """A random password to hand over once (``k7mq-x3tp-9fza``): 60 bits, easy to type."""
    chars = [secrets.choice(_OTP_ALPHABET) for _ in range(12)]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, 12, 4))
