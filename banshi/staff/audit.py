"""The audit log: who revealed, checked in, replied, dispatched, published, synced or changed
an account, and when.

An entry names what was touched (``target``: a notice number, a ticket id, a citizen's
openid), never the personal data that was shown. It is written in the same transaction as
the action, so an action without its entry cannot happen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.staff.models import AuditEntry

CLI_ACTOR = "cli"  # account changes made with ``banshi staff`` on the server


class AuditAction(str, Enum):
    """What a staff member did that must be traceable."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    REVEAL = "reveal"  # a full phone / ID number or unmasked free text shown
    EXPORT = "export"
    CHECK_IN = "check_in"
    REPLY = "reply"
    DISPATCH = "dispatch"
    PUBLISH = "publish"
    SYNC_TRIGGERED = "sync_triggered"
    LEXICON_WORD_ADDED = "lexicon_word_added"
    LEXICON_WORD_REMOVED = "lexicon_word_removed"
    QUESTIONS_HANDLED = "questions_handled"
    STAFF_ADDED = "staff_added"
    STAFF_DISABLED = "staff_disabled"
    STAFF_PASSWORD_RESET = "staff_password_reset"
    TICKET_TAKE = "ticket_take"
    TICKET_RETURN = "ticket_return"
    TICKET_REROUTE = "ticket_reroute"
    TICKET_EXTEND = "ticket_extend"
    TICKET_MERGE = "ticket_merge"
    TICKET_VISIT = "ticket_visit"
    TICKET_CLOSE = "ticket_close"
    HANDOFF_TAKE = "handoff_take"
    HANDOFF_SEND = "handoff_send"
    HANDOFF_CLOSE = "handoff_close"
    RATING_FOLLOW_UP = "rating_follow_up"
    RATING_SET_ASIDE = "rating_set_aside"
    NO_SHOW = "booking_no_show"
    BOOKING_POLICY_SET = "booking_policy_set"
    BOOKING_POLICY_CLEARED = "booking_policy_cleared"
    HALL_DAY_SET = "hall_day_set"
    HALL_DAY_CLEARED = "hall_day_cleared"
    CALENDAR_LOADED = "calendar_loaded"
    SURVEY_SAVED = "survey_saved"
    SURVEY_INVITED = "survey_invited"
    FLAG_CLEARED = "flag_cleared"
    HOT_ISSUES_IMPORTED = "hot_issues_imported"
    HOT_ISSUE_CHANGED = "hot_issue_changed"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    AuditAction.NO_SHOW: "记录爽约",
    AuditAction.BOOKING_POLICY_SET: "修改预约设置",
    AuditAction.BOOKING_POLICY_CLEARED: "撤销预约设置",
    AuditAction.HALL_DAY_SET: "设置大厅例外安排",
    AuditAction.HALL_DAY_CLEARED: "撤销大厅例外安排",
    AuditAction.CALENDAR_LOADED: "录入节假日安排",
    AuditAction.SURVEY_SAVED: "保存问卷",
    AuditAction.SURVEY_INVITED: "邀请填写问卷",
    AuditAction.FLAG_CLEARED: "解除意见标记",
    AuditAction.HOT_ISSUES_IMPORTED: "生成热点问题",
    AuditAction.HOT_ISSUE_CHANGED: "整理热点问题",
    AuditAction.TICKET_TAKE: "签收工单",
    AuditAction.TICKET_RETURN: "退单",
    AuditAction.TICKET_REROUTE: "改派",
    AuditAction.TICKET_EXTEND: "工单延期",
    AuditAction.TICKET_MERGE: "合并工单",
    AuditAction.TICKET_VISIT: "回访",
    AuditAction.TICKET_CLOSE: "办结工单",
    AuditAction.HANDOFF_TAKE: "接入人工服务",
    AuditAction.HANDOFF_SEND: "人工服务回复",
    AuditAction.HANDOFF_CLOSE: "结束人工服务",
    AuditAction.RATING_FOLLOW_UP: "差评核实整改",
    AuditAction.RATING_SET_ASIDE: "甄别评价",
    AuditAction.LOGIN: "登录",
    AuditAction.LOGIN_FAILED: "登录失败",
    AuditAction.LOGIN_LOCKED: "账号锁定",
    AuditAction.LOGOUT: "退出登录",
    AuditAction.PASSWORD_CHANGED: "修改密码",
    AuditAction.REVEAL: "查看完整个人信息",
    AuditAction.EXPORT: "导出",
    AuditAction.CHECK_IN: "签到",
    AuditAction.REPLY: "答复",
    AuditAction.DISPATCH: "派单",
    AuditAction.PUBLISH: "发布",
    AuditAction.SYNC_TRIGGERED: "触发目录同步",
    AuditAction.LEXICON_WORD_ADDED: "添加口语词",
    AuditAction.LEXICON_WORD_REMOVED: "停用口语词",
    AuditAction.QUESTIONS_HANDLED: "标记问题已处理",
    AuditAction.STAFF_ADDED: "新增账号",
    AuditAction.STAFF_DISABLED: "停用账号",
    AuditAction.STAFF_PASSWORD_RESET: "重置密码",
}


@dataclass(frozen=True)
class AuditRecord:
    """One entry as the log page shows it."""

    at: datetime
    actor: str
    action: str
    target: str
    summary: str
    address: str
    detail: Mapping[str, Any]

    @property
    def label(self) -> str:
        """The action's Chinese label; an action added by a later feature shows its code."""
        try:
            return AuditAction(self.action).label
        except ValueError:
            return self.action


def record(
    session: Session,
    actor: str,
    action: AuditAction,
    target: str = "",
    *,
    summary: str = "",
    detail: Mapping[str, Any] | None = None,
    address: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    """Add an entry in the caller's transaction. ``detail`` must not hold personal data."""
    entry = AuditEntry(
        at=(at or datetime.now()).replace(microsecond=0),
        actor=actor[:40],
        action=action.value,
        target=target[:200],
        summary=summary,
        detail=dict(detail or {}),
        address=address[:64],
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    session: Session,
    *,
    actor: str | None = None,
    action: AuditAction | None = None,
    target: str | None = None,
    limit: int = 200,
) -> list[AuditRecord]:
    """The newest entries first, optionally for one actor, action or target."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action.value)
    if target:
        query = query.where(AuditEntry.target == target)
    return [
        AuditRecord(e.at, e.actor, e.action, e.target, e.summary, e.address, e.detail or {})
        for e in session.execute(query).scalars()
    ]
