"""Staff roles (issue 17): who may see and do what in the console.

A role is a job in the hall, not a bundle of permissions: pages declare the roles they serve,
and 管理员 may do everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Role(str, Enum):
    """A staff member's job in the hall."""

    ADMIN = "admin"  # 管理员: everything, staff accounts, settings
    WINDOW = "window"  # 窗口人员: their hall's bookings, notices, handoffs
    DISPATCHER = "dispatcher"  # 调度: tickets, surveys, replies
    REVIEWER = "reviewer"  # 审核: ratings, publishing

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, value: str | Role) -> Role:
        """A role from its code (``window``) or Chinese label (``窗口人员``)."""
        if isinstance(value, Role):
            return value
        text = value.strip()
        for role in cls:
            if text in (role.value, role.label):
                return role
        codes = "、".join(f"{r.value}（{r.label}）" for r in cls)
        raise ValueError(f"未知的角色“{value}”，可选：{codes}")


_LABELS = {
    Role.ADMIN: "管理员",
    Role.WINDOW: "窗口人员",
    Role.DISPATCHER: "调度",
    Role.REVIEWER: "审核",
}

EVERYONE: frozenset[Role] = frozenset(Role)
ADMIN_ONLY: frozenset[Role] = frozenset({Role.ADMIN})


def roles(*members: Role | str) -> frozenset[Role]:
    """The roles allowed somewhere; 管理员 is always among them."""
    return frozenset({Role.ADMIN, *(Role.parse(m) for m in members)})


def allows(allowed: Iterable[Role], role: Role) -> bool:
    """Whether ``role`` may open what ``allowed`` guards (管理员 may open everything)."""
    return role is Role.ADMIN or role in frozenset(allowed)
