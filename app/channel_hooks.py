"""The WeChat channel's hooks into the domain (:class:`bot.wechat.hooks.ChannelHooks`).

Built once per Rasa server process from the settings: one statement before each dialogue
turn says whether a person holds the conversation and what may be owed (:mod:`banshi.owed`);
转人工 keeps the bot silent while a person holds it; what is owed to the citizen (notice
changes, staff replies, survey messages, booking reminders) is claimed after the dialogue,
only from the sources that have something, and goes out before the answer; unsubscribing
erases the citizen's personal data in every feature at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.services import build_handoff, engine_for
from app.settings import Settings
from banshi import notices
from banshi import owed as owed_to
from banshi.bookings import notify as bookings
from banshi.db import session_scope
from banshi.handoff import service as handoff
from banshi.hot_issues import publishing
from banshi.links import PageKind
from banshi.owed import Due, Source
from banshi.ratings import recording
from banshi.surveys import responses
from banshi.tickets import outbox
from banshi.tickets import retention as tickets
from bot.wechat import surveys_push
from bot.wechat.hooks import ChannelHooks

# Everything that keeps a citizen's personal data, erased on unsubscribe (their notices stay,
# unlinked from them, by number for staff; bookings and tickets are kept anonymised).
FORGETTERS = (
    notices.forget_citizen,
    bookings.erase_citizen,
    tickets.forget_citizen,
    recording.forget_citizen,
    handoff.forget_citizen,
    responses.forget_citizen,
    publishing.forget_citizen,
)


def build_hooks(settings: Settings, engine: Engine | None = None) -> ChannelHooks:
    engine = engine or engine_for(settings)
    people = build_handoff(settings, engine)
    links = settings.links()
    remind_at = settings.booking_remind_at

    def due(openid: str, now: datetime) -> Due:
        # One read on every message: no commit (``session_scope`` committing an unchanged
        # session, with its sessionmaker, cost two thirds of the check's 0.4 ms).
        with Session(engine) as session:
            return owed_to.check(session, openid, now, remind_at)

    def owed(openid: str, due: Due, now: datetime) -> list[str]:
        """Claim what ``due`` found, in one transaction: a failure gives every claim back."""
        wanted = due.owed
        told: list[str] = []
        with session_scope(engine) as session:
            if Source.NOTICE_CHANGES in wanted:
                told += [c.text for c in notices.claim_changes(session, openid)]
            if Source.OUTBOX in wanted:
                for delivery in outbox.claim_for_citizen(session, openid, datetime.utcnow()):
                    link = links.url(PageKind.TICKET, delivery.page) if delivery.page else None
                    told.append(outbox.compose(delivery, link))
            if wanted & {Source.HOT_ISSUE_NOTICES, Source.SURVEY_INVITATIONS}:
                told += surveys_push.claim_owed(
                    session,
                    links,
                    openid,
                    now,
                    notices=Source.HOT_ISSUE_NOTICES in wanted,
                    invitations=Source.SURVEY_INVITATIONS in wanted,
                )
            if wanted & {Source.BOOKING_DISRUPTIONS, Source.BOOKING_REMINDERS}:
                told += bookings.claim_owed(
                    session,
                    openid,
                    now,
                    remind_at,
                    disruptions=Source.BOOKING_DISRUPTIONS in wanted,
                    reminders=Source.BOOKING_REMINDERS in wanted,
                )
        return told

    def forget(openid: str) -> None:
        with session_scope(engine) as session:
            for forget_citizen in FORGETTERS:
                forget_citizen(session, openid)

    # held: None when the conversation was handed back since ``due`` looked
    return ChannelHooks(due=due, held=people.record, owed=owed, forget=forget)
