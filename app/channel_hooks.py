"""The WeChat channel's hooks into the domain (:class:`bot.wechat.hooks.ChannelHooks`).

Built once per Rasa server process from the settings: 转人工 keeps the bot silent while a
person holds the conversation; what is owed to the citizen (notice changes, staff replies to
tickets) goes out before the answer to their next message; unsubscribing erases the citizen's
personal data in every feature at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from app.services import build_handoff, engine_for
from app.settings import Settings
from banshi import notices
from banshi.bookings import notify as bookings
from banshi.db import session_scope
from banshi.handoff import service as handoff
from banshi.hot_issues import publishing
from banshi.links import PageKind
from banshi.ratings import recording
from banshi.surveys import responses
from banshi.tickets import outbox
from banshi.tickets import retention as tickets
from bot.wechat import bookings_push, surveys_push
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

    def held(openid: str, text: str, now: datetime) -> list[str] | None:
        if not people.is_held(openid):
            return None
        return people.record(openid, text, now)

    def owed(openid: str) -> list[str]:
        with session_scope(engine) as session:
            told = [c.text for c in notices.claim_changes(session, openid)]
            for delivery in outbox.claim_for_citizen(session, openid, datetime.utcnow()):
                link = links.url(PageKind.TICKET, delivery.page) if delivery.page else None
                told.append(outbox.compose(delivery, link))
        told += surveys_push.owed_messages(engine, links, openid)
        return told + bookings_push.owed_messages(
            engine, openid, remind_at=settings.booking_remind_at
        )

    def forget(openid: str) -> None:
        with session_scope(engine) as session:
            for forget_citizen in FORGETTERS:
                forget_citizen(session, openid)

    return ChannelHooks(held=held, owed=owed, forget=forget)
