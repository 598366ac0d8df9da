"""Survey invitations and 政府端菜 notices, pushed through WeChat's API.

Two outboxes of the domain hold what citizens are owed: invitations to a survey
(:mod:`banshi.surveys.invitations`, filled by ``banshi surveys invite``) and, once a hot
issue is published, a message to each citizen who raised it
(:mod:`banshi.hot_issues.publishing`). ``banshi run`` pushes them every minute
(:meth:`SurveyPusher.push_now`); for each citizen:

- their 48-hour window is open (:mod:`bot.wechat.window`, less a margin): a 客服消息;
- it is closed and a template is configured for the kind: a template message (a notice's
  links to the published page; an invitation says what to reply);
- otherwise the message waits for the citizen's next message (:func:`claim_owed`, which
  the channel's ``owed`` hook calls before the answer).

A row is claimed before it is sent (an UPDATE that matches only an undelivered row), so of
two senders one sends. What WeChat refuses (45015 window closed after all, 45047 quota,
43004 not following, a wrong template …) is released and not pushed again until the citizen
writes: their next message then carries it. WeChat unreachable (no answer, busy, no token):
nothing more is claimed in this round, and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.db import session_scope
from banshi.hot_issues import texts as issue_texts
from banshi.hot_issues.models import HotIssueNotice, HotIssuePage
from banshi.hot_issues.page import page_url
from banshi.hot_issues.publishing import (
    PendingNotice,
    claim_notices,
    notice_message,
    pending_notices,
    release_notices,
)
from banshi.links import Links
from banshi.surveys import texts as survey_texts
from banshi.surveys.desk import SurveyDeskConfig, minutes
from banshi.surveys.invitations import (
    Invitation,
    claim_invitations,
    pending_invitations,
    release_invitations,
)
from banshi.surveys.models import SurveyInvitation, SurveyResponse
from banshi.surveys.store import get_definition
from bot.wechat.api import SYSTEM_BUSY, TOKEN_INVALID, WeChatAPI, WeChatAPIError, standalone_api
from bot.wechat.config import WeChatSettings
from bot.wechat.delivery import KEEP_FOR_LATER, NOT_FOLLOWING
from bot.wechat.models import Contact
from bot.wechat.push import MARGIN, TOKEN_PATHS, WINDOW

log = logging.getLogger(__name__)

TEMPLATE_SEND = "message/template/send"
FIELD_LIMIT = 20  # characters of a template's thing field (模板消息: thing ≤ 20 个字符)


@dataclass(frozen=True)
class TemplateSpec:
    """A template chosen in the 公众号 console (模板消息): its id, and the keys of its two
    fields — they depend on the template (e.g. ``thing1`` the subject, ``thing2`` a note)."""

    template_id: str
    title_field: str = "thing1"
    note_field: str = "thing2"


@dataclass(frozen=True)
class SurveyPushConfig:
    """How survey messages are pushed. Without a template for a kind, a citizen whose window
    is closed is told with their next message (the default: templates need a verified
    service account and one approved template each).

    batch: citizens handled per round (the rest wait for the next minute).
    """

    invitation_template: TemplateSpec | None = None
    notice_template: TemplateSpec | None = None
    window: timedelta = WINDOW
    margin: timedelta = MARGIN
    batch: int = 200
    desk: SurveyDeskConfig = field(default_factory=SurveyDeskConfig)


class Route(str, Enum):
    CUSTOM = "custom"  # 客服消息, inside the 48-hour window
    TEMPLATE = "template"  # a template message, outside it


@dataclass
class SurveyPushResult:
    custom: int = 0  # sent as 客服消息
    template: int = 0  # sent as template messages
    refused: int = 0  # released by WeChat's refusal: told with the citizen's next message
    waiting: int = 0  # undelivered after this round (everyone's)
    unreachable: str | None = None  # why WeChat could not be reached; None when it could

    @property
    def sent(self) -> int:
        return self.custom + self.template


@dataclass(frozen=True)
class _Survey:
    title: str
    minutes: int


@dataclass
class _Claimed:
    invitations: list[Invitation]
    notices: list[PendingNotice]
    surveys: dict[str, _Survey]
    pages: dict[str, str]  # page number -> title as published, for the template


def _cut(text: str, limit: int = FIELD_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _template(
    spec: TemplateSpec | None, openid: str, title: str, note: str, url: str | None = None
) -> dict[str, Any]:
    """A template message's body: the subject and a note, each cut to WeChat's limit."""
    assert spec is not None  # routed by template only when one is configured
    body: dict[str, Any] = {
        "touser": openid,
        "template_id": spec.template_id,
        "data": {
            spec.title_field: {"value": _cut(title)},
            spec.note_field: {"value": _cut(note)},
        },
    }
    if url:
        body["url"] = url
    return body


def _unreachable(exc: WeChatAPIError) -> bool:
    """Whether the error is the API's (no answer, busy, no token), not this citizen's."""
    return (
        exc.errcode is None
        or exc.errcode == SYSTEM_BUSY
        or exc.errcode in TOKEN_INVALID
        or exc.path in TOKEN_PATHS
    )


# ---------------------------------------------------------------------- the database side


def _answered(session: Session, openid: str, survey_ids: Iterable[str]) -> set[str]:
    wanted = list(set(survey_ids))
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(SurveyResponse.survey_id).where(
                SurveyResponse.openid == openid, SurveyResponse.survey_id.in_(wanted)
            )
        )
    )


def claim_for(
    session: Session,
    openid: str,
    now: datetime,
    invitations: bool = True,
    notices: bool = True,
    desk: SurveyDeskConfig | None = None,
) -> _Claimed:
    """Claim what is owed to one citizen; an invitation to a survey they already started
    stays claimed but is not sent (they need no invitation)."""
    claimed = _Claimed([], [], {}, {})
    if invitations:
        taken = claim_invitations(session, now, [openid])
        answered = _answered(session, openid, (i.survey_id for i in taken))
        claimed.invitations = [i for i in taken if i.survey_id not in answered]
        for invitation in claimed.invitations:
            definition = get_definition(session, invitation.survey_id)
            if definition is not None and invitation.survey_id not in claimed.surveys:
                claimed.surveys[invitation.survey_id] = _Survey(
                    definition.title, minutes(definition, desk or SurveyDeskConfig())
                )
    if notices:
        claimed.notices = claim_notices(session, now, [openid])
        numbers = {n.page for n in claimed.notices}
        if numbers:  # the title as published: the page, not the issue staff may rename
            rows = session.execute(
                select(HotIssuePage.number, HotIssuePage.title).where(
                    HotIssuePage.number.in_(numbers)
                )
            )
            claimed.pages = {number: title for number, title in rows}
    return claimed


def claim_owed(
    session: Session,
    links: Links,
    openid: str,
    now: datetime,
    *,
    invitations: bool = True,
    notices: bool = True,
) -> list[str]:
    """Claim, in the caller's transaction, what no push delivered (:func:`owed_messages`);
    ``invitations`` / ``notices``: whether to look for each (:func:`banshi.owed.check` says
    which may have something)."""
    claimed = claim_for(session, openid, now, invitations=invitations, notices=notices)
    told = [notice_message(n, page_url(links, n.page)) for n in claimed.notices]
    return told + [i.text for i in claimed.invitations]


def owed_messages(
    engine: Engine, links: Links, openid: str, now: datetime | None = None
) -> list[str]:
    """What no push delivered, to send before the answer to the citizen's next message (the
    channel's ``owed`` hook claims them with :func:`claim_owed`): resolutions of issues they
    raised first, then invitations."""
    with session_scope(engine) as session:
        return claim_owed(session, links, openid, now or datetime.now())


def _candidates(engine: Engine, today: date, limit: int) -> dict[str, datetime | None]:
    """Citizens with something undelivered that can go today (at most ``limit``), with when
    they last opened their window (UTC; None: never seen). Invitations to a survey not open
    today are left out: they cannot be claimed, and asking WeChat for nothing costs tokens."""
    with session_scope(engine) as session:
        invited = pending_invitations(today).with_only_columns(SurveyInvitation.openid)
        told = pending_notices().with_only_columns(HotIssueNotice.openid)
        openids = set(session.scalars(invited.order_by(None).distinct()))
        openids |= set(session.scalars(told.order_by(None).distinct()))
        chosen = sorted(openids)[:limit]
        seen: dict[str, datetime | None] = dict.fromkeys(chosen)
        for start in range(0, len(chosen), 500):
            rows = session.execute(
                select(Contact.openid, Contact.last_seen_at).where(
                    Contact.openid.in_(chosen[start : start + 500])
                )
            )
            seen.update({openid: at for openid, at in rows})
        return seen


def waiting(engine: Engine) -> int:
    """Invitations and notices not delivered yet."""
    with session_scope(engine) as session:
        invitations = session.execute(
            select(func.count()).where(SurveyInvitation.delivered_at.is_(None))
        ).scalar_one()
        notices = session.execute(
            select(func.count()).where(HotIssueNotice.delivered_at.is_(None))
        ).scalar_one()
    return int(invitations) + int(notices)


def _release(engine: Engine, invitations: Sequence[int], notices: Sequence[int]) -> None:
    with session_scope(engine) as session:
        release_invitations(session, invitations)
        release_notices(session, notices)


# ---------------------------------------------------------------------- the WeChat side


class SurveyPusher:
    """Pushes survey messages; remembers, for this process, whom WeChat refused, so they are
    not tried every minute but told with their next message."""

    def __init__(
        self, engine: Engine, links: Links, config: SurveyPushConfig | None = None
    ) -> None:
        self.engine = engine
        self.links = links
        self.config = config or SurveyPushConfig()
        self.refused: dict[str, datetime | None] = {}  # openid -> last seen when refused

    def _route(self, seen: datetime | None, now_utc: datetime, template: object) -> Route | None:
        if seen is not None and seen >= now_utc - self.config.window + self.config.margin:
            return Route.CUSTOM
        return Route.TEMPLATE if template is not None else None

    def plan(
        self, now: datetime, now_utc: datetime
    ) -> list[tuple[str, Route | None, Route | None]]:
        """Whom a push can reach now, and by which route for invitations and for notices."""
        plan = []
        for openid, seen in _candidates(self.engine, now.date(), self.config.batch).items():
            if openid in self.refused:
                if seen == self.refused[openid]:
                    continue  # refused, and has not written since: told with the next message
                del self.refused[openid]
            invitation = self._route(seen, now_utc, self.config.invitation_template)
            notice = self._route(seen, now_utc, self.config.notice_template)
            if invitation or notice:
                plan.append((openid, invitation, notice))
        return plan

    async def push(
        self, api: WeChatAPI, now: datetime | None = None, now_utc: datetime | None = None
    ) -> SurveyPushResult:
        """One round: every citizen with something owed whom a push can reach now.

        ``now`` is local time (the outboxes'), ``now_utc`` the window's clock.
        """
        now = now or datetime.now()
        now_utc = now_utc or datetime.utcnow()
        result = SurveyPushResult()
        plan = await asyncio.to_thread(self.plan, now, now_utc)
        if plan:
            try:
                await api.access_token()  # before anything is claimed
            except WeChatAPIError as exc:
                result.unreachable = str(exc)
                plan = []
        for openid, invitation, notice in plan:
            unreachable = await self._push_to(api, openid, invitation, notice, now, result)
            if unreachable:
                result.unreachable = unreachable
                break
        result.waiting = await asyncio.to_thread(waiting, self.engine)
        if result.unreachable:
            log.warning("WeChat unreachable, survey messages wait: %s", result.unreachable)
        return result

    async def _push_to(
        self,
        api: WeChatAPI,
        openid: str,
        invitation: Route | None,
        notice: Route | None,
        now: datetime,
        result: SurveyPushResult,
    ) -> str | None:
        """Send what the citizen is owed; returns why WeChat is unreachable, if it is."""

        def claim() -> _Claimed:
            with session_scope(self.engine) as session:
                return claim_for(
                    session, openid, now, bool(invitation), bool(notice), self.config.desk
                )

        claimed = await asyncio.to_thread(claim)
        sends: list[tuple[str, int, dict[str, Any] | str]] = []
        for n in claimed.notices:
            assert notice is not None
            sends.append(("notice", n.id, self._notice(n, claimed, notice)))
        for i in claimed.invitations:
            assert invitation is not None
            sends.append(("invitation", i.id, self._invitation(i, claimed, invitation)))
        done = 0
        try:
            for _kind, _id, message in sends:
                if isinstance(message, str):
                    await api.send_text(openid, message)
                    result.custom += 1
                else:
                    await api.call(TEMPLATE_SEND, message)
                    result.template += 1
                done += 1
        except WeChatAPIError as exc:
            if _unreachable(exc):
                return str(exc)
            self.refused[openid] = await asyncio.to_thread(self._seen, openid)
            result.refused += len(sends) - done
            if exc.errcode in KEEP_FOR_LATER or exc.errcode in NOT_FOLLOWING:
                log.info("%s cannot take survey messages now (%s): kept", openid, exc.errcode)
            else:
                log.warning("survey messages to %s failed (%s): kept for later", openid, exc)
        finally:
            rest = sends[done:]
            if rest:  # refused, unreachable or interrupted: nothing is lost
                await asyncio.to_thread(
                    _release,
                    self.engine,
                    [i for kind, i, _ in rest if kind == "invitation"],
                    [i for kind, i, _ in rest if kind == "notice"],
                )
        return None

    def _seen(self, openid: str) -> datetime | None:
        with session_scope(self.engine) as session:
            contact = session.get(Contact, openid)
            return contact.last_seen_at if contact is not None else None

    def _notice(
        self, notice: PendingNotice, claimed: _Claimed, route: Route
    ) -> dict[str, Any] | str:
        url = page_url(self.links, notice.page)
        if route is Route.CUSTOM:
            return notice_message(notice, url)
        title = claimed.pages.get(notice.page, "")
        note = issue_texts.NOTICE_TEMPLATE_NOTE
        return _template(self.config.notice_template, notice.openid, title, note, url)

    def _invitation(
        self, invitation: Invitation, claimed: _Claimed, route: Route
    ) -> dict[str, Any] | str:
        if route is Route.CUSTOM:
            return invitation.text
        survey = claimed.surveys.get(invitation.survey_id, _Survey("", 1))
        note = survey_texts.INVITATION_TEMPLATE_NOTE.format(minutes=survey.minutes)
        return _template(self.config.invitation_template, invitation.openid, survey.title, note)

    def push_now(self, settings: WeChatSettings, now: datetime | None = None) -> SurveyPushResult:
        """One round for a command or a chore, with a client of its own. Never raises: what
        is not sent waits (for the next round, or the citizen's next message)."""
        now = now or datetime.now()
        try:
            if not self.plan(now, datetime.utcnow()):
                return SurveyPushResult(waiting=waiting(self.engine))  # no client, no token

            async def go() -> SurveyPushResult:
                async with standalone_api(settings) as api:
                    return await self.push(api, now)

            return asyncio.run(go())
        except Exception as exc:  # e.g. Redis (the shared token) or the database is down
            log.warning("pushing survey messages failed", exc_info=True)
            return SurveyPushResult(unreachable=f"{type(exc).__name__}: {exc}")
