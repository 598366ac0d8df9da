"""Guide Q&A: from a citizen's question (and what the conversation remembers) to answers.

The Rasa action is a thin adapter: :meth:`Guide.understand` decides what the message is —
a pick from what was offered, or the decision step of :mod:`banshi.understanding` over the
NLU's readings and the resolver's result — and :meth:`Guide.handle` answers a question (the
text, what is asked, the remembered :class:`DialogueState`), reusing that resolution. Tasks
that need an item (a notice, a booking) find it with :meth:`Guide.pick`, the same resolution
and numbered clarification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from enum import Enum

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi import answers
from banshi.asks import Ask
from banshi.catalog import CatalogCache
from banshi.choices import parse_choice
from banshi.conversation import ItemPick
from banshi.db import session_scope
from banshi.models import STATE_ACTIVE, STATE_CANCELLED, Item
from banshi.resolution import (
    MIN_SCORE,
    Decision,
    PlaceHint,
    PlaceOption,
    Resolution,
    Resolver,
    place_from_text,
    place_question,
)
from banshi.text import MAX_MESSAGE_CHARS, normalize_message, split_message
from banshi.unanswered import UnansweredReason, record_unanswered
from banshi.understanding import (
    DEFAULT_CONFIG,
    NO_CONTEXT,
    Context,
    Heard,
    UnderstandingConfig,
    Understood,
    Verdict,
    also_asked,
    asks_eligibility,
    decide,
)

# A follow-up ("那要多少钱") keeps the remembered item unless the new words clearly name
# another one: a weak match below this score is not enough to switch.
SWITCH_SCORE = 2 * MIN_SCORE
FAQ_MATCH = 0.6  # similarity above which the item's own 常见问题 answers the question


@dataclass
class DialogueState:
    """What the guide remembers between turns (Rasa slots)."""

    item_code: str | None = None
    candidates: list[str] = field(default_factory=list)
    pending: Ask | None = None  # what was asked when the numbered list was offered
    # Where the citizen goes, as they chose it (桥西区): a 事项 several districts implement
    # is then answered for theirs without asking again.
    region: str | None = None

    def hint(self) -> PlaceHint | None:
        return PlaceHint(region=self.region) if self.region else None


class GuideOutcome(str, Enum):
    ANSWERED = "answered"
    CLARIFY = "clarify"  # a numbered list of items was offered
    NOT_FOUND = "not_found"  # nothing in the catalog fits
    INVALID_CHOICE = "invalid_choice"  # a number outside the list
    REJECTED_INPUT = "rejected_input"  # empty or too long


@dataclass
class GuideReply:
    messages: list[str]
    state: DialogueState
    outcome: GuideOutcome


class Guide:
    """Answers guide questions over the synced catalog (one engine, one search index)."""

    def __init__(
        self,
        engine: Engine,
        resolver: Resolver,
        config: UnderstandingConfig = DEFAULT_CONFIG,
        catalog: CatalogCache | None = None,
    ) -> None:
        self.engine = engine
        self.resolver = resolver
        self.config = config
        self.catalog = catalog or CatalogCache()  # items and places, per catalog generation

    # ------------------------------------------------------------------ entry points

    def understand(
        self, heard: Heard, state: DialogueState, context: Context = NO_CONTEXT
    ) -> Understood:
        """What the message is. A number or a name from the list offered is a pick; anything
        else is decided over the NLU's readings and the resolver's result (searched once:
        :meth:`handle` reuses it)."""
        query = normalize_message(heard.text)
        if not query or len(query) > MAX_MESSAGE_CHARS:
            return Understood(Verdict.QUESTION)  # handle() says what is wrong with it
        with session_scope(self.engine) as session:
            if state.candidates and (
                parse_choice(query, len(state.candidates)) is not None
                or self._pick_by_name(session, query, state.candidates)
                or self._place_named(session, query, state.candidates)
            ):
                return Understood(Verdict.PICK)
            if state.item_code and _menu_choice(query) is not None:
                return Understood(Verdict.PICK)
            found = self.resolver.resolve(session, query, heard.item, state.hint())
        return decide(heard, found, context, self.config)

    def handle(
        self,
        text: str,
        ask: Ask | None,
        state: DialogueState,
        entity: str | None = None,
        today: date | None = None,
        pick: bool = False,
        found: Resolution | None = None,
    ) -> GuideReply:
        """Answer ``text``. ``ask`` None: nothing in particular is asked (the overview card,
        or a pick from the list offered when ``pick``: the NLU read a bare number).
        ``found``: the resolution :meth:`understand` already made of this text."""
        today = today or date.today()
        query = normalize_message(text)
        if not query:
            return GuideReply([answers.EMPTY], state, GuideOutcome.REJECTED_INPUT)
        if len(query) > MAX_MESSAGE_CHARS:
            return GuideReply([answers.TOO_LONG], state, GuideOutcome.REJECTED_INPUT)
        with session_scope(self.engine) as session:
            if state.candidates:
                choice = parse_choice(query, len(state.candidates))
                if choice is not None or pick:
                    return self._choose(session, query, choice, state, today)
                place = self._place_named(session, query, state.candidates)
                if place is not None:  # the answer to "您在哪个区办理？"
                    code, region = place.task_code, place.label
                    return self._answer(session, code, state.pending, query, today, region)
                picked = self._pick_by_name(session, query, state.candidates)
                if picked:
                    asked = state.pending or ask
                    return self._answer(session, picked, asked, query, today, state.region)
            elif state.item_code:
                menu = _menu_choice(query)
                if menu is not None:  # a number from the overview card's menu
                    return self._answer(session, state.item_code, menu, query, today, state.region)
            resolution = found or self.resolver.resolve(session, query, entity, state.hint())
            return self._route(session, resolution, ask, query, state, today)

    def pick(self, text: str, candidates: Sequence[str], hint: str | None = None) -> ItemPick:
        """The item a task is about: a pick from ``candidates`` offered, or a new search."""
        query = normalize_message(text)
        with session_scope(self.engine) as session:
            if candidates:
                choice = parse_choice(query, len(candidates))
                if choice is not None and choice > 0:
                    return ItemPick(candidates[choice - 1])
                places = self._places_offered(session, candidates)
                if choice is not None:
                    text = self._offer_again(session, candidates, places)
                    return ItemPick(None, [text], list(candidates))
                place = place_from_text(places, query) if places else None
                named = place.task_code if place else self._pick_by_name(session, query, candidates)
                if named:
                    return ItemPick(named)
            resolution = self.resolver.resolve(session, query, hint)
            best = resolution.best
            if resolution.needs_place and best:
                question = place_question(best.name, resolution.places)
                return ItemPick(None, [question], [p.task_code for p in resolution.places])
            if resolution.decision is Decision.ONE and best:
                return ItemPick(best.task_code)
            if resolution.decision is Decision.ASK:
                options = [c.task_code for c in resolution.options if c.state != STATE_CANCELLED]
                if len(options) == 1:
                    return ItemPick(options[0])
                items = [i for i in (self.catalog.item(session, c) for c in options) if i]
                return ItemPick(None, [answers.clarify(items)], options)
            return ItemPick(None)

    def note_unanswered(self, text: str, reason: UnansweredReason) -> None:
        """A message only a fixed response answered (not understood, out of scope): kept
        masked, without its sender, for the console's unanswered questions."""
        with session_scope(self.engine) as session:
            record_unanswered(session, normalize_message(text), reason)

    # ------------------------------------------------------------------ steps

    def _route(
        self,
        session: Session,
        resolution: Resolution,
        ask: Ask | None,
        query: str,
        state: DialogueState,
        today: date,
    ) -> GuideReply:
        best = resolution.best
        weak = best is None or best.score < SWITCH_SCORE
        # A follow-up about the remembered item; an overview needs the item named.
        nothing_new = resolution.decision is Decision.NONE or weak
        region = state.region
        if state.item_code and ask is not Ask.OVERVIEW and nothing_new:
            return self._answer(session, state.item_code, ask, query, today, region)
        if resolution.needs_place and best:  # the 事项 is clear, where is not: ask only that
            codes = [p.task_code for p in resolution.places]
            text = place_question(best.name, resolution.places)
            new = DialogueState(state.item_code, codes, ask, region)
            return GuideReply([text], new, GuideOutcome.CLARIFY)
        if resolution.decision is Decision.ONE and best:
            chosen = resolution.place
            region = chosen.label if chosen is not None else region
            return self._answer(session, best.task_code, ask, query, today, region)
        if resolution.decision is Decision.ASK:
            options = [c.task_code for c in resolution.options if c.state != STATE_CANCELLED]
            if len(options) == 1:
                return self._answer(session, options[0], ask, query, today, region)
            items = [self.catalog.item(session, code) for code in options]
            found = [i for i in items if i is not None]
            if ask is not None and self._alike(session, found, ask):
                # 婚姻登记处电话多少: the same hall and phone for every item offered, so the
                # answer needs no choice first
                # answer for the procedure itself (结婚登记 before 补领婚姻登记证)
                fixes = self.resolver.lexicon.corrective
                lead = next((i for i in found if not any(w in i.name for w in fixes)), found[0])
                reply = self._answer(session, lead.task_code, ask, query, today, region)
                reply.messages.append(answers.also_for([i for i in found if i is not lead], ask))
                return reply
            text = answers.clarify(found)
            new = DialogueState(state.item_code, options, ask, region)
            return GuideReply([text], new, GuideOutcome.CLARIFY)
        # Kept (masked, no sender) for staff: where the catalog and the lexicon fall short.
        record_unanswered(session, query, UnansweredReason.NO_ITEM, ask=ask)
        return GuideReply(
            [answers.NOT_FOUND],
            DialogueState(state.item_code, region=region),
            GuideOutcome.NOT_FOUND,
        )

    def _alike(self, session: Session, items: Sequence[Item], ask: Ask) -> bool:
        """Whether ``ask`` has one answer for all ``items``: the same hall and window, or the
        same phones (what a hall or a phone line answers alike for every item it serves:
        :func:`banshi.answers.shared_by`; None for the aspects each item answers its own way)."""
        if len(items) < 2 or any(i.state != STATE_ACTIVE for i in items):
            return False
        shared = {answers.shared_by(ask, i, self.catalog.place_of(session, i)) for i in items}
        return len(shared) == 1 and None not in shared

    def _choose(
        self, session: Session, query: str, choice: int | None, state: DialogueState, today: date
    ) -> GuideReply:
        places = self._places_offered(session, state.candidates)
        if choice is None or choice < 1:
            text = self._offer_again(session, state.candidates, places)
            return GuideReply([text], state, GuideOutcome.INVALID_CHOICE)
        code = state.candidates[choice - 1]
        region = places[choice - 1].label if places else state.region
        return self._answer(session, code, state.pending, query, today, region)

    def _pick_by_name(self, session: Session, query: str, candidates: Sequence[str]) -> str | None:
        """The offered item the citizen named (e.g. '补领那个'), if exactly one matches."""
        best_code, best_ratio = None, 0.0
        for code in candidates:
            item = self.catalog.item(session, code)
            if item is None:
                continue
            ratio = SequenceMatcher(None, query, item.name).ratio()
            if query in item.name or item.name in query:
                ratio = 1.0
            if ratio > best_ratio:
                best_code, best_ratio = code, ratio
        return best_code if best_ratio >= 0.5 else None

    def _offer_again(
        self, session: Session, candidates: Sequence[str], places: Sequence[PlaceOption]
    ) -> str:
        """A number outside what was offered: the range, and the same offer again (the
        places of one 事项, or the numbered items)."""
        items = [
            i for i in (self.catalog.item(session, code) for code in candidates) if i is not None
        ]
        if places and items:
            offer = place_question(items[0].name, places)
        else:
            offer = answers.clarify(items)
        return answers.invalid_choice(len(candidates)) + "\n" + offer

    def _places_offered(self, session: Session, candidates: Sequence[str]) -> list[PlaceOption]:
        """The implementations of one 事项 when ``candidates`` are what "您在哪个区办理？"
        offered (in the order offered); empty when they are a list of different items."""
        if len(candidates) < 2:
            return []
        options = {p.task_code: p for p in self.resolver.places_of(session, candidates[0])}
        if set(options) != set(candidates):
            return []
        return [options[code] for code in candidates]

    def _place_named(
        self, session: Session, query: str, candidates: Sequence[str]
    ) -> PlaceOption | None:
        """The place the citizen named in answer to "您在哪个区办理？" (桥西 / 桥西区)."""
        places = self._places_offered(session, candidates)
        return place_from_text(places, query) if places else None

    def _answer(
        self,
        session: Session,
        code: str,
        ask: Ask | None,
        query: str,
        today: date,
        region: str | None = None,
    ) -> GuideReply:
        item = self.catalog.item(session, code)
        state = DialogueState(item_code=code, region=region)
        if item is None:  # removed since it was offered
            return GuideReply(
                [answers.NOT_FOUND], DialogueState(region=region), GuideOutcome.NOT_FOUND
            )
        closed = answers.state_notice(item)
        if closed and item.state == STATE_CANCELLED:
            return GuideReply([closed], state, GuideOutcome.ANSWERED)
        messages = [closed] if closed else []
        faq = self._matching_faq(item, query)
        if faq:
            messages.append(faq)
        place = self.catalog.place_of(session, item)
        if not faq or ask not in (None, Ask.OVERVIEW):
            text = answers.answer(ask or Ask.OVERVIEW, item, place, today)
            if ask is Ask.CONDITIONS and asks_eligibility(query):
                deciding = answers.deciding_condition(item, query)
                text = f"{text}\n{deciding}" if deciding else text
            messages.extend(split_message(text))
        also = also_asked(query, ask or Ask.OVERVIEW)
        if also is not None:  # 身份证丢了咋补办，要带啥: the steps and the materials
            messages.extend(split_message(answers.ANSWERS[also](item, place, today)))
        return GuideReply(messages, state, GuideOutcome.ANSWERED)

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


def _menu_choice(query: str) -> Ask | None:
    """The aspect a bare number picks from the overview card's menu."""
    choice = parse_choice(query, len(answers.MENU))
    return answers.MENU[choice - 1] if choice is not None and choice > 0 else None
