"""转人工: hand the conversation to a person during service hours, or file a 咨询 otherwise.

What each adapter calls:

- the runner, on "转人工": :meth:`HandoffService.request` → (messages, held);
- the WeChat channel, before the bot sees a message: :meth:`HandoffService.is_held`; while
  held, :meth:`HandoffService.record` instead of the bot (it returns what to say, usually
  nothing: the bot stays silent);
- staff pages: :meth:`list_waiting`, :meth:`held`, :meth:`get`, :meth:`take`,
  :meth:`send`, :meth:`close`, :meth:`conversation` (a staff action may run in the page's
  own transaction, ``session=``, so its audit entry commits with it);
- a periodic job: :meth:`expire_waiting` (a handoff nobody took in time becomes a ticket;
  the citizen is told through the outbox);
- live staff pages: :meth:`log_version`, :meth:`inbox_version` and ``notifier``, which every
  change above is published to once it commits (:mod:`banshi.handoff.live`).

Staff lines and the closing line go out as 客服消息 through the outbox. Closing invites the
citizen, once, to rate the conversation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, literal_column, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

from banshi.calendar.workdays import WorkCalendar
from banshi.db import session_scope
from banshi.handoff import inbox, texts
from banshi.handoff.config import HandoffConfig
from banshi.handoff.inbox import HandoffLine, LogLine, WaitingLine
from banshi.handoff.live import INBOX, LineNotifier, Polling, topic_of
from banshi.handoff.models import Handoff, HandoffMessage
from banshi.handoff.states import Closure, HandoffState, Sender
from banshi.privacy.crypto import FieldCipher
from banshi.ratings.invitations import invitation_text, invite
from banshi.ratings.services import Service, ServiceKind
from banshi.tickets.config import TicketConfig
from banshi.tickets.errors import TicketError
from banshi.tickets.kinds import Source, TicketKind
from banshi.tickets.lifecycle import NewTicket, file_ticket, protect
from banshi.tickets.models import Ticket
from banshi.tickets.outbox import OutboxKind, post

_CANCEL = re.compile(
    r"^(?:取消人工|不用人工了?|不要人工了?|退出人工|结束人工|不用了|算了)[。.!！~]*$"
)
MAX_LINE_CHARS = 600  # ≤ 1,800 bytes: WeChat takes about 2,000 per message (NOTES.md)
NO_QUESTION = "（群众请求人工服务，未留下具体问题，请与群众联系了解诉求。）"
_CHANGED = "banshi.handoff.changed"  # Session.info key: topics to publish once it commits


class HandoffRefused(TicketError):
    """A staff action the handoff's state does not allow (taken by someone else, closed)."""


def open_handoff(openid: str | BindParameter[Any]) -> Select:
    """The citizen's open handoff (WAITING or HELD: at most one), what :meth:`HandoffService.
    is_held` reads and :func:`banshi.owed.check` asks about before each message. The state
    is written inline so the partial index ``uq_handoff_open_openid`` (``WHERE state !=
    'closed'``) serves it on SQLite too, whose planner matches literals only."""
    closed = literal_column(f"'{HandoffState.CLOSED.value}'")
    return select(Handoff).where(Handoff.openid == openid, Handoff.state != closed)


class HandoffService:
    def __init__(
        self,
        engine: Engine,
        cipher: FieldCipher,
        config: HandoffConfig | None = None,
        tickets: TicketConfig | None = None,
        calendar: Callable[[Session], WorkCalendar] = WorkCalendar,
        notifier: LineNotifier | None = None,
    ) -> None:
        self.engine = engine
        self.cipher = cipher
        self.config = config or HandoffConfig()
        self.tickets = tickets or TicketConfig()
        self.calendar = calendar
        self.notifier: LineNotifier = notifier or Polling()

    # ------------------------------------------------------------------ the citizen's side

    def request(
        self, openid: str, now: datetime, question: str | None = None
    ) -> tuple[list[str], bool]:
        """ "转人工": (what to say, whether the bot must now stay silent).

        ``question``: the citizen's last unanswered question, if the runner has it (clear
        text of this turn); it starts the log, or the ticket outside hours.
        """
        try:  # its own transaction: the unique index settles two quick "转人工"
            with session_scope(self.engine) as session:
                current = self._open(session, openid)
                if current is None:
                    current = Handoff(
                        openid=openid, state=HandoffState.WAITING.value, requested_at=now
                    )
                    session.add(current)
                    session.flush()
                    self._changed(session, current.id)
                    fresh = True
                else:
                    fresh = False
                handoff_id = current.id
        except IntegrityError:
            return [texts.STILL_WAITING], True
        with session_scope(self.engine) as session:
            handoff = session.get(Handoff, handoff_id)
            assert handoff is not None
            calendar = self.calendar(session)
            if not fresh:
                if handoff.state == HandoffState.WAITING.value and self._expired(handoff, now):
                    ticket = self._to_ticket(session, handoff, calendar, Closure.TIMEOUT, now)
                    return [texts.timed_out(ticket.number, ticket.due_on)], False
                return [texts.STILL_WAITING], True
            if question:
                self._log(session, handoff, Sender.CITIZEN, None, question, now)
            if not self.config.hours.is_open(calendar, now):
                ticket = self._to_ticket(session, handoff, calendar, Closure.AFTER_HOURS, now)
                text = texts.after_hours(self.config.hours.text(), ticket.number, ticket.due_on)
                return [text], False
            return [texts.waiting(self.config.wait_minutes)], True

    def is_held(self, openid: str) -> bool:
        """Whether a person has (or is about to take) the conversation: the bot stays silent."""
        with session_scope(self.engine) as session:
            return self._open(session, openid) is not None

    def record(self, openid: str, text: str, now: datetime) -> list[str] | None:
        """A citizen's message while held: logged for staff; usually nothing is said back.
        None when no person has the conversation (any more): the assistant answers it.

        "取消人工" ends the handoff; a wait past the configured time turns it into a ticket.
        """
        with session_scope(self.engine) as session:
            handoff = self._open(session, openid)
            if handoff is None:
                return None
            if _CANCEL.match(text.strip()):
                if handoff.state == HandoffState.WAITING.value:
                    self._close(session, handoff, "citizen", Closure.CANCELLED, now)
                    return [texts.CANCELLED]
                self._close(session, handoff, "citizen", Closure.DONE, now)
                return [self._invite(session, handoff, texts.ENDED_BY_CITIZEN, now, in_turn=True)]
            self._log(session, handoff, Sender.CITIZEN, None, text, now)
            if handoff.state == HandoffState.WAITING.value and self._expired(handoff, now):
                calendar = self.calendar(session)
                ticket = self._to_ticket(session, handoff, calendar, Closure.TIMEOUT, now)
                return [texts.timed_out(ticket.number, ticket.due_on)]
            return []

    # ------------------------------------------------------------------ staff pages

    def list_waiting(self, now: datetime) -> list[WaitingLine]:
        """Citizens waiting for a person, the longest wait first."""
        with session_scope(self.engine) as session:
            return inbox.waiting(session, now)

    def held(self) -> list[HandoffLine]:
        """Conversations a person holds now, the earliest taken first."""
        with session_scope(self.engine) as session:
            return inbox.held(session)

    def get(self, handoff_id: int) -> HandoffLine | None:
        with session_scope(self.engine) as session:
            handoff = session.get(Handoff, handoff_id)
            return inbox.line_of(session, handoff) if handoff is not None else None

    def take(
        self, handoff_id: int, staff: str, now: datetime, *, session: Session | None = None
    ) -> None:
        """Take a waiting citizen; refused when someone else was quicker or it ended."""
        with self._scope(session) as scope:
            table = Handoff.__table__
            taken = scope.execute(
                update(table)
                .where(table.c.id == handoff_id, table.c.state == HandoffState.WAITING.value)
                .values(state=HandoffState.HELD.value, staff=staff, taken_at=now)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:
                raise HandoffRefused("该会话已被其他工作人员接入或已结束。")
            self._changed(scope, handoff_id)

    def send(
        self,
        handoff_id: int,
        staff: str,
        text: str,
        now: datetime,
        *,
        session: Session | None = None,
    ) -> None:
        """A staff line to the citizen: logged, and queued as 客服消息."""
        body = text.strip()
        if not body:
            raise HandoffRefused("消息内容不能为空。")
        if len(body) > MAX_LINE_CHARS:
            raise HandoffRefused(f"每条消息请控制在 {MAX_LINE_CHARS} 字以内，可分几条发送。")
        with self._scope(session) as scope:
            handoff = self._held_by(scope, handoff_id, staff)
            self._log(scope, handoff, Sender.STAFF, staff, body, now)
            post(
                scope,
                handoff.openid,
                OutboxKind.HANDOFF,
                texts.STAFF_PREFIX + body,
                now,
                ref=str(handoff.id),
            )

    def close(
        self, handoff_id: int, staff: str, now: datetime, *, session: Session | None = None
    ) -> None:
        """End the conversation: the bot answers again, and the citizen is told so (with an
        invitation to rate it)."""
        with self._scope(session) as scope:
            handoff = self._held_by(scope, handoff_id, staff)
            self._close(scope, handoff, staff, Closure.DONE, now)
            self._invite(scope, handoff, texts.ENDED, now, in_turn=False)

    def conversation(self, handoff_id: int) -> list[LogLine]:
        """The log as staff read it (masked)."""
        with session_scope(self.engine) as session:
            return inbox.log_of(session, handoff_id)

    def log_version(self, handoff_id: int) -> str:
        """What a page showing the conversation has seen (:mod:`banshi.handoff.live`)."""
        with session_scope(self.engine) as session:
            return inbox.log_version(session, handoff_id)

    def inbox_version(self) -> str:
        """What the inbox has seen (:mod:`banshi.handoff.live`)."""
        with session_scope(self.engine) as session:
            return inbox.inbox_version(session)

    def expire_waiting(self, now: datetime) -> int:
        """Turn handoffs nobody took in time into tickets, telling each citizen (outbox)."""
        count = 0
        with session_scope(self.engine) as session:
            deadline = now - timedelta(minutes=self.config.wait_minutes)
            rows = session.execute(
                select(Handoff).where(
                    Handoff.state == HandoffState.WAITING.value, Handoff.requested_at < deadline
                )
            ).scalars()
            calendar = self.calendar(session)
            for handoff in list(rows):
                ticket = self._to_ticket(session, handoff, calendar, Closure.TIMEOUT, now)
                post(
                    session,
                    handoff.openid,
                    OutboxKind.TICKET_NEWS,
                    texts.timed_out(ticket.number, ticket.due_on),
                    now,
                    ref=ticket.number,
                )
                count += 1
        return count

    # ------------------------------------------------------------------ inside

    @contextmanager
    def _scope(self, session: Session | None) -> Iterator[Session]:
        """The caller's transaction when given, otherwise one of our own."""
        if session is not None:
            yield session
            return
        with session_scope(self.engine) as own:
            yield own

    def _changed(self, session: Session, handoff_id: int) -> None:
        """Tell live pages once the transaction commits: before it, they would read nothing
        new. A rolled-back change is told at the session's next commit, if any: harmless, a
        notice is only a wake-up."""
        topics: set[str] = session.info.setdefault(_CHANGED, set())
        if not topics:
            event.listen(session, "after_commit", self._publish_committed, once=True)
        topics.update((INBOX, topic_of(handoff_id)))

    def _publish_committed(self, session: Session) -> None:
        topics = session.info.pop(_CHANGED, set())
        if topics:
            self.notifier.publish(sorted(topics))

    @staticmethod
    def _open(session: Session, openid: str) -> Handoff | None:
        return session.execute(open_handoff(openid)).scalar_one_or_none()

    @staticmethod
    def _held_by(session: Session, handoff_id: int, staff: str) -> Handoff:
        handoff = session.get(Handoff, handoff_id)
        if handoff is None or handoff.state != HandoffState.HELD.value:
            raise HandoffRefused("该会话未在人工服务中，请先接入。")
        if handoff.staff != staff:
            raise HandoffRefused(f"该会话由 {handoff.staff} 接待，不能代为操作。")
        return handoff

    def _expired(self, handoff: Handoff, now: datetime) -> bool:
        return now - handoff.requested_at > timedelta(minutes=self.config.wait_minutes)

    def _log(
        self,
        session: Session,
        handoff: Handoff,
        sender: Sender,
        staff: str | None,
        text: str,
        now: datetime,
    ) -> None:
        masked, encrypted = protect(self.cipher, text.strip())
        session.add(
            HandoffMessage(
                handoff_id=handoff.id,
                at=now,
                sender=sender.value,
                staff=staff,
                text_masked=masked,
                text_encrypted=encrypted,
            )
        )
        session.flush()
        self._changed(session, handoff.id)

    def _close(
        self, session: Session, handoff: Handoff, by: str, closure: Closure, now: datetime
    ) -> None:
        self._changed(session, handoff.id)
        handoff.state = HandoffState.CLOSED.value
        handoff.closed_at = now
        handoff.closed_by = by
        handoff.closure = closure.value

    @staticmethod
    def _invite(
        session: Session, handoff: Handoff, ended: str, now: datetime, in_turn: bool
    ) -> str:
        """Invite a rating of the conversation; the invitation carries the closing line.

        ``in_turn``: the citizen ended it, so the text is returned to say now; otherwise it
        is queued (客服消息, or with the citizen's next message).
        """
        service = Service(ServiceKind.HANDOFF, str(handoff.id))
        lead = ended.rstrip("。")
        invitation = invite(session, service, handoff.openid, lead, now, notify=not in_turn)
        if invitation is None:
            if not in_turn:
                post(session, handoff.openid, OutboxKind.HANDOFF, ended, now, ref=str(handoff.id))
            return ended
        return invitation_text(lead)

    def _to_ticket(
        self,
        session: Session,
        handoff: Handoff,
        calendar: WorkCalendar,
        closure: Closure,
        now: datetime,
    ) -> Ticket:
        """The citizen's messages so far become a 咨询 the staff answer later."""
        rows = session.execute(
            select(HandoffMessage)
            .where(
                HandoffMessage.handoff_id == handoff.id,
                HandoffMessage.sender == Sender.CITIZEN.value,
            )
            .order_by(HandoffMessage.id)
        ).scalars()
        said = [
            self.cipher.decrypt(m.text_encrypted) if m.text_encrypted else m.text_masked
            for m in rows
        ]
        masked, encrypted = protect(self.cipher, "\n".join(said) or NO_QUESTION)
        ticket = file_ticket(
            session,
            NewTicket(
                openid=handoff.openid,
                kind=TicketKind.CONSULT,
                content_masked=masked,
                content_encrypted=encrypted,
                source=Source.HANDOFF,
            ),
            calendar,
            self.tickets,
            now,
        )
        handoff.ticket_id = ticket.id
        self._close(session, handoff, "system", closure, now)
        return ticket


def forget_citizen(session: Session, openid: str) -> int:
    """On ``unsubscribe``: the citizen's handoffs and their logs are deleted (a ticket one
    became stays, unlinked by :func:`banshi.tickets.retention.forget_citizen`)."""
    ids = list(session.execute(select(Handoff.id).where(Handoff.openid == openid)).scalars())
    if not ids:
        return 0
    session.execute(delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(ids)))
    session.execute(delete(Handoff).where(Handoff.id.in_(ids)))
    return len(ids)
