"""Who is invited to a survey: an outbox row per citizen, delivered once.

``banshi surveys invite SURVEY`` calls :func:`invite`, which fills the outbox from the
survey's audience; the WeChat side claims rows with :func:`claim_invitations` (an UPDATE
that only matches while a row is undelivered, so two senders never send one twice), sends
:func:`invitation_text` as a 客服消息 to those whose 48-hour window is open, and gives back
what WeChat refused with :func:`release_invitations`. Citizens who already answered are
not invited; a targeted survey (not ``all``) is offered by the desk only to the invited.

The audiences read the account's own tables: followers who wrote to the account
(``wechat_contact``, addressed by name: the channel's models live outside the domain) and
notice holders (``notice``). Bookings belong to another package: pass ``booked``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import column, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from banshi.models import Notice
from banshi.surveys import texts
from banshi.surveys.definition import Audience, AudienceKind, SurveyDefinition
from banshi.surveys.desk import SurveyDeskConfig, minutes
from banshi.surveys.models import Survey, SurveyInvitation, SurveyResponse
from banshi.surveys.store import get_definition

# Citizens who booked (the item's 实施编码, or None for any item): the bookings package's.
Booked = Callable[[Session, str | None], Iterable[str]]

_contact = table("wechat_contact", column("openid"))


class AudienceUnavailable(LookupError):
    """The audience needs data this deployment did not provide (e.g. bookings)."""


@dataclass(frozen=True)
class InviteResult:
    survey_id: str
    audience: int  # citizens in the audience
    created: int  # new outbox rows
    skipped: int  # already invited or already answered


@dataclass(frozen=True)
class Invitation:
    id: int
    survey_id: str
    openid: str
    text: str


def audience_openids(
    session: Session, audience: Audience, booked: Booked | None = None
) -> set[str]:
    """The OpenIDs an audience covers."""
    if audience.kind is AudienceKind.ALL:
        return {o for (o,) in session.execute(select(_contact.c.openid)) if o}
    found: set[str] = set()
    if audience.kind in (AudienceKind.NOTICE, AudienceKind.USED_ITEM):
        query = select(Notice.openid).where(Notice.openid.is_not(None))
        if audience.item:
            query = query.where(Notice.task_code == audience.item)
        found |= {o for (o,) in session.execute(query.distinct()) if o}
    if audience.kind in (AudienceKind.BOOKED, AudienceKind.USED_ITEM):
        if booked is None:
            raise AudienceUnavailable("这个问卷的对象是预约过的群众，需要提供预约数据（booked）")
        found |= set(booked(session, audience.item))
    return found


def invite(
    session: Session, survey_id: str, now: datetime, booked: Booked | None = None
) -> InviteResult:
    """Put every citizen of the survey's audience in the outbox, once."""
    definition = get_definition(session, survey_id)
    if definition is None:
        raise KeyError(f"没有问卷 {survey_id}")
    wanted = audience_openids(session, definition.audience, booked)
    invited = set(
        session.scalars(
            select(SurveyInvitation.openid).where(SurveyInvitation.survey_id == survey_id)
        )
    )
    answered = set(
        session.scalars(select(SurveyResponse.openid).where(SurveyResponse.survey_id == survey_id))
    )
    created = 0
    for openid in sorted(wanted - invited - answered):
        try:
            with session.begin_nested():
                session.add(SurveyInvitation(survey_id=survey_id, openid=openid, created_at=now))
            created += 1
        except IntegrityError:
            pass  # a concurrent invite got there first
    return InviteResult(survey_id, len(wanted), created, len(wanted) - created)


def invitation_text(
    definition: SurveyDefinition, today: date, config: SurveyDeskConfig | None = None
) -> str:
    return texts.INVITATION.format(
        title=definition.title,
        closes=texts.date_text(definition.closes, today),
        minutes=minutes(definition, config or SurveyDeskConfig()),
    )


def pending_invitations(today: date, openids: Sequence[str] | None = None) -> Select:
    """Undelivered invitations to surveys open ``today`` (some citizens', or everyone's),
    oldest first: what :func:`claim_invitations` takes, and what :func:`banshi.owed.check`
    asks about. (One to a survey not open today cannot go: it does not crowd out the rest.)"""
    query = (
        select(SurveyInvitation)
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .where(
            SurveyInvitation.delivered_at.is_(None),
            Survey.opens <= today,
            Survey.closes >= today,
        )
    )
    if openids is not None:
        query = query.where(SurveyInvitation.openid.in_(list(openids)))
    return query.order_by(SurveyInvitation.id)


def claim_invitations(
    session: Session,
    now: datetime,
    openids: Sequence[str] | None = None,
    limit: int = 100,
) -> list[Invitation]:
    """Take undelivered invitations to open surveys (some citizens', or any ``limit``).

    Commit before sending; hand back what could not be sent with :func:`release_invitations`.
    """
    query = pending_invitations(now.date(), openids).limit(limit)
    pending = session.execute(query).scalars().all()
    claimed = []
    definitions: dict[str, SurveyDefinition | None] = {}
    for row in pending:
        if row.survey_id not in definitions:
            definitions[row.survey_id] = get_definition(session, row.survey_id)
        definition = definitions[row.survey_id]
        if definition is None or not definition.is_open(now.date()):
            continue
        result = session.execute(
            update(SurveyInvitation)
            .where(SurveyInvitation.id == row.id, SurveyInvitation.delivered_at.is_(None))
            .values(delivered_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            text = invitation_text(definition, now.date())
            claimed.append(Invitation(row.id, row.survey_id, row.openid, text))
    return claimed


def release_invitations(session: Session, ids: Iterable[int]) -> None:
    """Make claimed invitations pending again: WeChat would not take them."""
    ids = list(ids)
    if ids:
        session.execute(
            update(SurveyInvitation)
            .where(SurveyInvitation.id.in_(ids))
            .values(delivered_at=None)
            .execution_options(synchronize_session=False)
        )
