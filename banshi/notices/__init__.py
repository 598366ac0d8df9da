"""一次性告知单: ask only what changes the list, then issue a numbered notice and keep it current.

行政许可法 第三十二条 promises that a citizen is told everything missing at once. A notice is
built for the citizen's exact case: the item's 办理情形 (situation) and the conditions on its
materials (HANDLE_CASE such as 委托他人代办的).

- :mod:`~banshi.notices.conditions`: what a HANDLE_CASE means for the chosen situation;
- :mod:`~banshi.notices.interview`: the questions that change the list, answers read;
- :mod:`~banshi.notices.issuing`: the number, the snapshot of everything told, lookups;
- :mod:`~banshi.notices.texts`: the chat wording; :mod:`~banshi.notices.page` the printable page;
- :mod:`~banshi.notices.changes`: telling holders what a catalog sync changed, exactly once
  (two paths race to deliver — a 客服消息 push while the 48-hour window is open, and the
  reply to the citizen's next message — and :func:`claim_changes` hands each change to one);
- :mod:`~banshi.notices.desk`: the conversation, a desk of :mod:`banshi.conversation`.
"""

from banshi.notices.changes import (
    NOTIFY_DAYS,
    NoticeChange,
    changes_for_notices,
    claim_changes,
    pending_changes,
    release_changes,
)
from banshi.notices.conditions import Need, decide, materials_for, situation_matters
from banshi.notices.desk import NoticeDesk
from banshi.notices.interview import (
    Answer,
    InterviewQuestion,
    QuestionKind,
    next_question,
    parse_answer,
    plan,
)
from banshi.notices.issuing import (
    CannotIssue,
    forget_citizen,
    get_notice,
    is_notice_number,
    issue_notice,
    list_notices,
    next_serial,
    normalize_number,
)
from banshi.notices.page import render_html
from banshi.notices.texts import notice_text, notices_list_text

__all__ = [
    "NOTIFY_DAYS",
    "Answer",
    "CannotIssue",
    "InterviewQuestion",
    "Need",
    "NoticeChange",
    "NoticeDesk",
    "QuestionKind",
    "changes_for_notices",
    "claim_changes",
    "decide",
    "forget_citizen",
    "get_notice",
    "is_notice_number",
    "issue_notice",
    "list_notices",
    "materials_for",
    "next_question",
    "next_serial",
    "normalize_number",
    "notice_text",
    "notices_list_text",
    "parse_answer",
    "pending_changes",
    "plan",
    "release_changes",
    "render_html",
    "situation_matters",
]
