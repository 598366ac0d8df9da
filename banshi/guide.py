"""Guide Q&A: from a citizen's question (and what the conversation remembers) to answers.

The Rasa action is a thin adapter over :meth:`Guide.handle`: it passes the text, the NLU's
intent and ``item`` entity and the remembered :class:`DialogueState`, and sends back the
messages and the new state.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi import answers
from banshi.catalog import get_item, place_of
from banshi.db import get_engine, migrate, session_scope
from banshi.lexicon import load_lexicon
from banshi.models import STATE_ACTIVE, STATE_CANCELLED, Item
from banshi.resolution import MIN_SCORE, Resolution, Resolver
from banshi.settings import Settings, load_settings
from banshi.text import MAX_MESSAGE_CHARS, normalize_message

# A follow-up ("那要多少钱") keeps the remembered item unless the new words clearly name
# another one: a weak match below this score is not enough to switch.
SWITCH_SCORE = 2 * MIN_SCORE
FAQ_MATCH = 0.6  # similarity above which the item's own 常见问题 answers the question
# Tasks that need the item resolved (with the same clarification) but answer for themselves:
# the guide only settles which item and says nothing about it (outcome "resolved").
TASK_INTENTS = frozenset({"request_notice"})


@dataclass
class DialogueState:
    """What the conversation remembers between turns (Rasa slots)."""

    item_code: str | None = None
    candidates: list[str] = field(default_factory=list)
    pending_intent: str | None = None


@dataclass
class GuideReply:
    messages: list[str]
    state: DialogueState
    outcome: str  # answered / resolved / clarify / not_found / invalid_choice / rejected_input


_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_CHOICE = re.compile(
    r"^(?:选|选择|要|就|是)?(?:第)?([0-9]{1,2}|[一二两三四五六七八九十])(?:个|项|条|号)?(?:吧|的|啊|呀|。|!|！)*$"
)


def parse_choice(text: str, count: int) -> int | None:
    """1-based choice from '2', '第二个', '选3', '最后一个'; None when it is not a number."""
    t = re.sub(r"[\s,，.。!！~]+", "", text)
    t = re.sub(r"^(我)?(选|要|就|是)+", "", t)
    t = re.sub(r"(吧|啊|呀|哈|了)+$", "", t)
    if t in ("最后一个", "最后那个", "最后一项"):
        return count
    match = _CHOICE.match(t)
    if not match:
        return None
    token = match.group(1)
    number = int(token) if token.isdigit() else _CN_DIGITS[token]
    return number if 1 <= number <= count else -1


class Guide:
    _instance: Guide | None = None
    _instance_lock = threading.Lock()

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.resolver = Resolver(load_lexicon(settings.lexicon_path))

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Guide:
        """The process-wide guide (one engine, one search index)."""
        with cls._instance_lock:
            if cls._instance is None:
                settings = settings or load_settings()
                engine = get_engine(settings.database_url)
                migrate(engine)
                cls._instance = cls(engine, settings)
            return cls._instance

    # ------------------------------------------------------------------ entry point

    def handle(
        self,
        text: str,
        intent: str,
        state: DialogueState,
        entity: str | None = None,
        today: date | None = None,
    ) -> GuideReply:
        today = today or date.today()
        query = normalize_message(text)
        if not query:
            return GuideReply([answers.EMPTY], state, "rejected_input")
        if len(query) > MAX_MESSAGE_CHARS:
            return GuideReply([answers.TOO_LONG], state, "rejected_input")
        with session_scope(self.engine) as session:
            if state.candidates:
                choice = parse_choice(query, len(state.candidates))
                if choice is not None or intent == "choose_option":
                    return self._choose(session, query, choice, state, today)
                picked = self._pick_by_name(session, query, state.candidates)
                if picked:
                    return self._answer(
                        session, picked, state.pending_intent or intent, query, today
                    )
            resolution = self.resolver.resolve(session, query, entity)
            return self._route(session, resolution, intent, query, state, today)

    # ------------------------------------------------------------------ steps

    def _route(
        self,
        session: Session,
        resolution: Resolution,
        intent: str,
        query: str,
        state: DialogueState,
        today: date,
    ) -> GuideReply:
        best = resolution.best
        weak = best is None or best.score < SWITCH_SCORE
        # A follow-up about the remembered item; an overview needs the item named.
        if state.item_code and intent != "ask_overview" and (resolution.decision == "none" or weak):
            return self._answer(session, state.item_code, intent, query, today)
        if resolution.decision == "one" and best:
            return self._answer(session, best.task_code, intent, query, today)
        if resolution.decision == "ask":
            options = [c.task_code for c in resolution.options if c.state != STATE_CANCELLED]
            if len(options) == 1:
                return self._answer(session, options[0], intent, query, today)
            items = [get_item(session, code) for code in options]
            text = answers.clarify([i for i in items if i is not None])
            new = DialogueState(state.item_code, options, intent)
            return GuideReply([text], new, "clarify")
        return GuideReply([answers.NOT_FOUND], DialogueState(state.item_code), "not_found")

    def _choose(
        self, session: Session, query: str, choice: int | None, state: DialogueState, today: date
    ) -> GuideReply:
        if choice is None or choice < 1:
            items = [get_item(session, code) for code in state.candidates]
            text = (
                answers.invalid_choice(len(state.candidates))
                + "\n"
                + answers.clarify([i for i in items if i is not None])
            )
            return GuideReply([text], state, "invalid_choice")
        code = state.candidates[choice - 1]
        return self._answer(session, code, state.pending_intent or "ask_overview", query, today)

    def _pick_by_name(self, session: Session, query: str, candidates: list[str]) -> str | None:
        """The offered item the citizen named (e.g. '补领那个'), if exactly one matches."""
        best_code, best_ratio = None, 0.0
        for code in candidates:
            item = get_item(session, code)
            if item is None:
                continue
            ratio = SequenceMatcher(None, query, item.name).ratio()
            if query in item.name or item.name in query:
                ratio = 1.0
            if ratio > best_ratio:
                best_code, best_ratio = code, ratio
        return best_code if best_ratio >= 0.5 else None

    def _answer(
        self, session: Session, code: str, intent: str, query: str, today: date
    ) -> GuideReply:
        item = get_item(session, code)
        state = DialogueState(item_code=code)
        if item is None:  # removed since it was offered
            return GuideReply([answers.NOT_FOUND], DialogueState(), "not_found")
        closed = answers.state_notice(item)
        if closed and item.state == STATE_CANCELLED:
            return GuideReply([closed], state, "answered")
        if intent in TASK_INTENTS:
            return GuideReply([], state, "resolved")
        messages = [closed] if closed else []
        faq = self._matching_faq(item, query)
        if faq:
            messages.append(faq)
        if not faq or intent != "ask_overview":
            text = answers.answer(intent, item, place_of(session, item), today)
            messages.extend(answers.split_message(text))
        return GuideReply(messages, state, "answered")

    @staticmethod
    def _matching_faq(item: Item, query: str) -> str | None:
        if item.state != STATE_ACTIVE and not item.questions:
            return None
        best, best_ratio = None, 0.0
        for q in item.questions:
            ratio = SequenceMatcher(None, query, normalize_message(q.question)).ratio()
            if ratio > best_ratio:
                best, best_ratio = q, ratio
        if best is None or best_ratio < FAQ_MATCH:
            return None
        return answers.faq_answer(item, best.question, best.answer)
