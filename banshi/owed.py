"""What a citizen may be owed: asked in one statement before each turn of the dialogue.

Around every message a citizen writes, the WeChat channel needs two facts: whether a person
holds the conversation (转人工: the bot stays silent), and whether anything no push delivered
waits for them (notice changes, staff replies and other outbox messages, survey invitations,
published resolutions, booking disruptions and reminders), to send before the answer. Almost
always the answer is "no" to both, so :func:`check` asks everything at once — one SELECT of
one EXISTS per source — and the claims then run only for the sources that have something.

The claims stay with each feature (an UPDATE that matches only an undelivered row, so each
message is told once, taken after the dialogue so a failed turn loses none). Each source's
EXISTS is built from the very query its claim reads (``pending_query``, ``pending_notices``,
``pending_invitations``, ``booking_disruptions`` and ``booking_reminders``; 转人工 from
``open_handoff``, which ``HandoffService.is_held`` reads), so the check and the claim cannot
drift apart; those functions are called with bound parameters once, and the statement reused.
The check may be a little ahead of a claim (a survey's definition closed meanwhile, another
sender faster): the claim then takes nothing, which is all it ever did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import Enum
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from banshi.bookings.notify import booking_disruptions, booking_reminders, reminders_due
from banshi.handoff.service import open_handoff
from banshi.hot_issues.publishing import pending_notices
from banshi.notices.changes import pending_query as pending_changes_query
from banshi.surveys.invitations import pending_invitations
from banshi.tickets.outbox import pending_query as pending_outbox_query


class Source(str, Enum):
    """Where something owed to a citizen may wait, in the order they are told."""

    NOTICE_CHANGES = "notice_changes"  # a catalog change to a notice they hold
    OUTBOX = "outbox"  # staff replies, handoff lines, 好差评 invitations (banshi.tickets.outbox)
    HOT_ISSUE_NOTICES = "hot_issue_notices"  # 政府端菜: an issue they raised was resolved
    SURVEY_INVITATIONS = "survey_invitations"  # 群众点菜: an invitation to an open survey
    BOOKING_DISRUPTIONS = "booking_disruptions"  # a change affecting an upcoming booking
    BOOKING_REMINDERS = "booking_reminders"  # tomorrow's booking, once the reminder hour passed


@dataclass(frozen=True)
class Due:
    """What :func:`check` found: ``held`` (a person has, or is about to take, the
    conversation) and the sources with something owed."""

    held: bool = False
    owed: frozenset[Source] = frozenset()


NOTHING = Due()
HELD = "held"


@cache
def _statement(with_reminders: bool) -> Select:
    """One SELECT of one EXISTS per source, built once from the sources' own queries with
    bound parameters (building it for every message cost more than running it)."""
    openid, today = bindparam("openid"), bindparam("today")
    queries: dict[str, Select] = {
        HELD: open_handoff(openid),
        Source.NOTICE_CHANGES.value: pending_changes_query(openid),
        Source.OUTBOX.value: pending_outbox_query(openid),
        Source.HOT_ISSUE_NOTICES.value: pending_notices([openid]),
        Source.SURVEY_INVITATIONS.value: pending_invitations(today, [openid]),
        Source.BOOKING_DISRUPTIONS.value: booking_disruptions(openid, today),
    }
    if with_reminders:
        queries[Source.BOOKING_REMINDERS.value] = booking_reminders(
            openid, bindparam("tomorrow"), bindparam("since")
        )
    return select(*(q.order_by(None).exists().label(name) for name, q in queries.items()))


def check(session: Session, openid: str, now: datetime, remind_at: time) -> Due:
    """Whether the conversation is held and which sources owe the citizen something, in one
    statement. ``now`` is local time (bookings' and surveys' days); ``remind_at`` the hour
    from which tomorrow's reminders are owed."""
    params: dict[str, object] = {"openid": openid, "today": now.date()}
    reminders = reminders_due(now, remind_at)
    if reminders is not None:
        params["tomorrow"], params["since"] = reminders
    found = session.execute(_statement(reminders is not None), params).one()._mapping
    return Due(
        held=bool(found[HELD]),
        owed=frozenset(Source(name) for name in found if name != HELD and found[name]),
    )
