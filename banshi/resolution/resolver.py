"""Keeping a search index for the current catalog generation, built off the citizen's turn.

At a provincial catalog's size a full build takes seconds, so once an index exists the turn
never waits for the next one: the previous generation keeps answering while a thread builds
the new one, incrementally (only the 事项 whose items changed are read and segmented again).
Small catalogs (the demo's, the tests') are rebuilt inside the call, so a sync's new item is
answerable at once. ``warm`` builds the first index before the server takes questions.

The generation is the last item sync, the number of items and the staff's lexicon overlay
(:mod:`banshi.lexicon_overlay`): a word staff add is understood without a restart.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.catalog import hall_directory
from banshi.db import session_scope
from banshi.lexicon import Lexicon
from banshi.lexicon_overlay import (
    LexiconOverlayState,
    overlay_entries,
    with_overlay,
)
from banshi.models import Item, SyncRun
from banshi.resolution.documents import load_texts, stamps
from banshi.resolution.features import base_tagger
from banshi.resolution.index import ItemIndex
from banshi.resolution.result import Decision, PlaceHint, PlaceOption, Resolution

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolverConfig:
    """How the index follows the catalog. The defaults are exact (tests, small catalogs);
    a server sets ``recheck_seconds`` to a second or two."""

    # Catalogs with more items than this are rebuilt in a thread while the previous
    # generation answers; smaller ones inside the call (a demo-sized build takes ~0.3 s).
    background_above: int = 500
    # How long a generation read from the database is trusted (0: read on every question).
    recheck_seconds: float = 0.0


@dataclass(frozen=True)
class Generation:
    """Changes whenever the searchable catalog does."""

    items: int  # the last item sync that changed something
    count: int  # items (rows written without a sync count too)
    overlay: int  # the lexicon overlay's edits


@dataclass(frozen=True)
class Build:
    """One index build, for logs and the bench."""

    generation: Generation
    incremental: bool
    seconds: float
    documents: int
    reread: int  # 事项 read and segmented again


def read_generation(session: Session) -> Generation:
    """The current generation, in one round trip."""
    row = session.execute(
        select(
            select(func.max(SyncRun.id))
            .where(SyncRun.status == "ok", SyncRun.kind == "items")
            .scalar_subquery(),
            select(func.count()).select_from(Item).scalar_subquery(),
            select(LexiconOverlayState.generation)
            .where(LexiconOverlayState.id == 1)
            .scalar_subquery(),
        )
    ).one()
    return Generation(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


@dataclass
class _State:
    database: str = ""
    index: ItemIndex | None = None
    generation: Generation | None = None
    seen: Generation | None = None  # the latest generation read
    seen_at: float = -math.inf
    lexicon: tuple[int, Lexicon] | None = None  # (overlay generation, merged lexicon)
    builder: threading.Thread | None = None
    builds: list[Build] = field(default_factory=list)


class Resolver:
    """Finds the 事项 a message is about, over an index of the current catalog generation."""

    def __init__(self, lexicon: Lexicon, config: ResolverConfig | None = None) -> None:
        self.lexicon = lexicon
        self.config = config or ResolverConfig()
        self._lock = threading.Lock()  # guards _state
        self._build_lock = threading.Lock()  # one build at a time
        self._state = _State()

    @property
    def builds(self) -> list[Build]:
        """The builds so far, oldest first (the last 20)."""
        with self._lock:
            return list(self._state.builds)

    def index(self, session: Session) -> ItemIndex:
        """The index to answer with now; builds it here only when there is none to serve or
        the catalog is small."""
        engine = session.get_bind().engine  # a bound connection's engine, or the engine
        database = str(engine.url)
        generation = self._generation(session, database)
        with self._lock:
            state = self._state
            current = state.index if state.database == database else None
            if current is not None and state.generation == generation:
                return current
        if current is None or generation.count <= self.config.background_above:
            return self._build(engine, database)
        self._build_later(engine, database)
        return current

    def warm(self, engine: Engine) -> ItemIndex:
        """Build the index now (at start, before the server takes questions)."""
        return self._build(engine, str(engine.url))

    def resolve(
        self,
        session: Session,
        text: str,
        entity: str | None = None,
        place: PlaceHint | None = None,
    ) -> Resolution:
        """Search the whole message; the NLU's ``item`` span is only a fallback.

        The span is part of the message already, and weighting it again drowns the words that
        tell items apart (身份证 vs 丢了/补办); alone it helps when the message is noisy.
        ``place``: what is known of where the citizen goes (a 事项 several districts
        implement is then answered for theirs).
        """
        index = self.index(session)
        halls = None
        if place is not None and (place.hall_code or place.location):
            halls = hall_directory(session).spots
        result = index.search(text, hint=place, halls=halls)
        if result.decision is Decision.NONE and entity and not result.not_offered:
            by_entity = index.search(entity, hint=place, halls=halls)
            if by_entity.decision is not Decision.NONE:
                return by_entity
        return result

    def places_of(self, session: Session, task_code: str) -> list[PlaceOption]:
        """The implementations of the 事项 ``task_code`` belongs to (empty: only one)."""
        index = self.index(session)
        at = index.by_task.get(task_code)
        return list(index.docs[at].places) if at is not None else []

    # ------------------------------------------------------------------ building

    def _generation(self, session: Session, database: str) -> Generation:
        now = time.monotonic()
        with self._lock:
            state = self._state
            fresh = now - state.seen_at < self.config.recheck_seconds
            if fresh and state.seen is not None and state.database == database:
                return state.seen
        generation = read_generation(session)
        with self._lock:
            if self._state.database == database:
                self._state.seen, self._state.seen_at = generation, now
        return generation

    def _build_later(self, engine: Engine, database: str) -> None:
        with self._lock:
            running = self._state.builder
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(
                target=self._build_quietly,
                args=(engine, database),
                name="banshi-index",
                daemon=True,
            )
            self._state.builder = thread
        thread.start()

    def _build_quietly(self, engine: Engine, database: str) -> None:
        try:
            self._build(engine, database)
        except Exception:  # the previous generation keeps answering; the next question retries
            log.exception("building the search index failed")

    def _build(self, engine: Engine, database: str) -> ItemIndex:
        base_tagger()  # the parts of speech a question may need, loaded here, not in a turn
        with self._build_lock:
            started = time.perf_counter()
            with self._lock:
                state = self._state
                previous = state.index if state.database == database else None
                built = state.generation if previous is not None else None
                lexicons = state.lexicon if previous is not None else None
            with session_scope(engine) as session:
                generation = read_generation(session)
                if previous is not None and built == generation:
                    return previous  # built while this call waited for the lock
                lexicon = self._lexicon(session, generation.overlay, lexicons)
                if previous is not None and previous.lexicon is lexicon:
                    index, reread = self._update(session, previous)
                else:
                    index = ItemIndex(load_texts(session), lexicon)
                    reread = len(index.docs)
            build = Build(
                generation,
                previous is not None and previous.lexicon is lexicon,
                time.perf_counter() - started,
                len(index.docs),
                reread,
            )
            with self._lock:
                if self._state.database != database:
                    self._state = _State(database=database)
                self._state.index, self._state.generation = index, generation
                self._state.seen, self._state.seen_at = generation, time.monotonic()
                self._state.lexicon = (generation.overlay, lexicon)
                self._state.builds = [*self._state.builds[-19:], build]
            log.info(
                "search index for generation %s: %d 事项, %d read again, %.1f s",
                generation,
                build.documents,
                build.reread,
                build.seconds,
            )
            return index

    def _lexicon(
        self, session: Session, overlay: int, cached: tuple[int, Lexicon] | None
    ) -> Lexicon:
        """The curated lexicon with the staff's words merged (the same object while the
        overlay is unchanged: that is what allows an incremental build)."""
        if cached is not None and cached[0] == overlay:
            return cached[1]
        if overlay == 0:
            return self.lexicon
        return with_overlay(self.lexicon, overlay_entries(session))

    @staticmethod
    def _update(session: Session, previous: ItemIndex) -> tuple[ItemIndex, int]:
        """A new index reading again only the 事项 whose items changed."""
        current: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for code, stamp in stamps(session).items():
            current.setdefault(stamp.group, set()).add((code, stamp.content_hash))
        before = previous.signature()
        changed = [key for key, sig in current.items() if before.get(key) != sig]
        dropped = [key for key in before if key not in current]
        if not changed and not dropped:
            return previous, 0
        texts = load_texts(session, changed)
        return ItemIndex(texts, previous.lexicon, previous, dropped), len(changed)
