"""Building the domain services from the settings: one place where the parts are wired."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from actions.services import Services
from app.settings import Settings
from banshi.bookings.desk import BookingDesk
from banshi.calendar import seed_from_chinesecalendar
from banshi.catalog import CatalogCache
from banshi.conversation import Conversation, Desk
from banshi.db import get_engine, migrate, session_scope
from banshi.guide import Guide
from banshi.handoff.desk import HandoffDesk
from banshi.handoff.live import LineNotifier, Polling
from banshi.handoff.service import HandoffService
from banshi.lexicon import load_lexicon
from banshi.notices import NoticeDesk
from banshi.privacy.crypto import FieldCipher
from banshi.ratings.desk import RatingDesk
from banshi.resolution import Resolver, ResolverConfig
from banshi.surveys.desk import SurveyDesk, SurveyDeskConfig
from banshi.tickets.desk import TicketDesk


def engine_for(settings: Settings) -> Engine:
    """The process's engine, with the schema brought up to date and the statutory calendar
    loaded for every year chinesecalendar knows (idempotent: a year already there, or loaded
    by staff from the State Council notice, is left alone)."""
    engine = get_engine(settings.database_url)
    migrate(engine)
    with session_scope(engine) as session:
        seed_from_chinesecalendar(session)
    return engine


# How long the action server trusts the catalog generation it read last (the resolver's and
# the items'): under load a generation read per question costs two statements a turn, and a
# sync answered a second later is answered as soon as anyone could tell. Tests and tools
# build exact services (0: read on every question).
SERVER_RECHECK_SECONDS = 1.0


def build_guide(
    settings: Settings, engine: Engine | None = None, recheck_seconds: float = 0.0
) -> Guide:
    engine = engine or engine_for(settings)
    resolver = Resolver(
        load_lexicon(settings.lexicon_path), ResolverConfig(recheck_seconds=recheck_seconds)
    )
    return Guide(engine, resolver, catalog=CatalogCache(recheck_seconds=recheck_seconds))


def build_handoff(settings: Settings, engine: Engine | None = None) -> HandoffService:
    """转人工: shared by the 转人工 desk (the action server) and the channel (the Rasa server,
    which keeps the bot silent while a person holds the conversation)."""
    engine = engine or engine_for(settings)
    return HandoffService(engine, FieldCipher(settings.secret()), notifier=line_notifier(settings))


def line_notifier(settings: Settings) -> LineNotifier:
    """Live staff pages wake on Redis pub/sub; without Redis they re-read every 150 ms."""
    if not settings.redis_url:
        return Polling()
    from bot.handoff_notify import RedisLineNotifier

    return RedisLineNotifier(settings.redis_url)


def build_services(
    settings: Settings, engine: Engine | None = None, recheck_seconds: float = 0.0
) -> Services:
    """The guide and every task desk, over one engine and one search index
    (``recheck_seconds``: see :data:`SERVER_RECHECK_SECONDS`)."""
    engine = engine or engine_for(settings)
    guide = build_guide(settings, engine, recheck_seconds)
    cipher = FieldCipher(settings.secret())
    desks: list[Desk] = [
        NoticeDesk(engine, guide, links=settings.links(), prefix=settings.notice_prefix),
        BookingDesk(engine, cipher, guide, settings.bookings),
        TicketDesk(engine, cipher, guide),
        RatingDesk(engine, cipher),
        HandoffDesk(build_handoff(settings, engine)),
        SurveyDesk(engine, SurveyDeskConfig()),
    ]
    return Services(guide, Conversation(desks))
