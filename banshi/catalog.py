"""Reading the catalog: an item with everything a guide answer needs, and where it is handled.

The halls and their windows change only when a hall export is synced, yet every answer asks
where its item is handled: they are read once per hall generation (the last hall sync, the
number of halls and the newest window) and kept, per database, until that changes.

Items change only when an item export is synced, yet every guide answer read its item with
four relations (five statements): :class:`CatalogCache` keeps the items answers read per
catalog generation (the last item sync and the number of items, with the halls'), which one
statement reads — once per session, or once per ``recheck_seconds`` in a server.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from banshi.models import Hall, Item, SyncRun, Window


@dataclass(frozen=True)
class Place:
    """Where an item is handled: the hall (when the hall export knows it) and its window."""

    hall: Hall | None
    window: Window | None


@dataclass(frozen=True)
class HallSpot:
    """A hall as resolution needs it: where it is and which items its windows handle."""

    code: str
    name: str
    lat: float | None
    lng: float | None
    task_codes: frozenset[str]


@dataclass(frozen=True)
class HallDirectory:
    """Every hall of one hall generation, read-only (the ORM objects are detached)."""

    halls: tuple[Hall, ...]
    by_task: dict[str, tuple[tuple[Hall, Window], ...]]  # task code -> (hall, window), in order
    by_name: dict[str, Hall]
    spots: dict[str, HallSpot]  # hall code -> spot


def get_item(session: Session, task_code: str) -> Item | None:
    return session.execute(
        select(Item)
        .where(Item.task_code == task_code)
        .options(
            selectinload(Item.situations),
            selectinload(Item.materials),
            selectinload(Item.charges),
            selectinload(Item.questions),
        )
    ).scalar_one_or_none()


def place_of(session: Session, item: Item) -> Place:
    """The hall named by CENTER_NAME (or whose window lists the item), and that window."""
    return _place_in(hall_directory(session), item)


def _place_in(directory: HallDirectory, item: Item) -> Place:
    for hall, window in directory.by_task.get(item.task_code, ()):
        if not item.center_name or hall.name == item.center_name:
            return Place(hall, window)
    named = directory.by_name.get(item.center_name) if item.center_name else None
    return Place(named, None)


def _hall_generation_columns() -> list[ColumnElement[int]]:
    return [
        select(func.max(SyncRun.id))
        .where(SyncRun.status == "ok", SyncRun.kind == "halls")
        .scalar_subquery(),
        select(func.count()).select_from(Hall).scalar_subquery(),
        select(func.max(Window.id)).scalar_subquery(),
    ]


def hall_generation(session: Session) -> tuple[int, int, int]:
    """Changes whenever the halls do: (last hall sync, number of halls, newest window)."""
    row = session.execute(select(*_hall_generation_columns())).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


@dataclass(frozen=True)
class CatalogGeneration:
    """Changes whenever the items or the halls do."""

    items: tuple[int, int]  # the last item sync that changed something, the number of items
    halls: tuple[int, int, int]  # :func:`hall_generation`


@cache
def _catalog_generation_statement() -> Select:
    """Built once (building a statement costs about as much as running this one)."""
    return select(
        select(func.max(SyncRun.id))
        .where(SyncRun.status == "ok", SyncRun.kind == "items")
        .scalar_subquery(),
        select(func.count()).select_from(Item).scalar_subquery(),
        *_hall_generation_columns(),
    )


def catalog_generation(session: Session) -> CatalogGeneration:
    """The items' and the halls' generation, in one statement. Items are written by a sync
    (an ``ok`` run whenever one changed); rows written without one change the count."""
    row = session.execute(_catalog_generation_statement()).one()
    numbers = [int(value or 0) for value in row]
    return CatalogGeneration((numbers[0], numbers[1]), (numbers[2], numbers[3], numbers[4]))


_lock = threading.Lock()
_directories: dict[str, tuple[tuple[int, int, int], HallDirectory]] = {}  # database -> latest


def hall_directory(
    session: Session, generation: tuple[int, int, int] | None = None
) -> HallDirectory:
    """The halls of the current hall generation (``generation``: already read in this
    session): one small query when nothing changed, none when the generation is given."""
    database = str(session.get_bind().engine.url)
    generation = generation or hall_generation(session)
    with _lock:
        cached = _directories.get(database)
    if cached is not None and cached[0] == generation:
        return cached[1]
    directory = _read_directory(session)
    with _lock:
        if len(_directories) >= 16:  # one per database a process talks to; tests use many
            _directories.clear()
        _directories[database] = (generation, directory)
    return directory


def _read_directory(session: Session) -> HallDirectory:
    halls = tuple(
        session.execute(select(Hall).options(selectinload(Hall.windows)).order_by(Hall.id))
        .scalars()
        .unique()
    )
    by_task: dict[str, list[tuple[Hall, Window]]] = {}
    spots: dict[str, HallSpot] = {}
    for hall in halls:
        codes: set[str] = set()
        for window in hall.windows:
            for code in window.task_codes or []:
                by_task.setdefault(code, []).append((hall, window))
                codes.add(code)
        spots[hall.code] = HallSpot(
            hall.code, hall.name, _coordinate(hall.lat), _coordinate(hall.lng), frozenset(codes)
        )
        session.expunge(hall)  # shared read-only between sessions and threads from here on
    by_name: dict[str, Hall] = {}
    for hall in halls:
        by_name.setdefault(hall.name, hall)
    return HallDirectory(halls, {k: tuple(v) for k, v in by_task.items()}, by_name, spots)


def _coordinate(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


ITEMS_KEPT = 512  # items a cache keeps per generation: the ones citizens ask about
_GENERATION = "banshi.catalog.generation"  # Session.info: the generation this session read


class CatalogCache:
    """The items guide answers read, and where each is handled, kept per catalog generation.

    Each item is read once per generation with everything an answer needs (:func:`get_item`)
    and kept detached and read-only, shared by every thread: never add it to a session or
    read a relation :func:`get_item` does not load (``aliases``). The generation is read once
    per session; ``recheck_seconds`` > 0 trusts the last one read for that long (a server:
    a sync is answered within that interval instead of on the next question).
    """

    def __init__(
        self,
        recheck_seconds: float = 0.0,
        size: int = ITEMS_KEPT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recheck_seconds = recheck_seconds
        self.size = size
        self.clock = clock
        self._lock = threading.Lock()
        self._generation: CatalogGeneration | None = None  # the newest read
        self._read_at = -math.inf
        self._items: OrderedDict[str, Item | None] = OrderedDict()  # of ``_generation``

    def generation(self, session: Session) -> CatalogGeneration:
        """The generation this session answers from."""
        known = session.info.get(_GENERATION)
        if isinstance(known, CatalogGeneration):
            return known
        now = self.clock()
        with self._lock:
            trusted = self._generation if now - self._read_at < self.recheck_seconds else None
        generation = trusted or catalog_generation(session)
        if trusted is None:
            with self._lock:
                if generation != self._generation:
                    self._items.clear()
                    self._generation = generation
                self._read_at = now
        session.info[_GENERATION] = generation
        return generation

    def item(self, session: Session, task_code: str) -> Item | None:
        """The item as :func:`get_item` reads it, from this generation's cache when there."""
        generation = self.generation(session)
        with self._lock:
            current = generation == self._generation
            if current and task_code in self._items:
                self._items.move_to_end(task_code)
                return self._items[task_code]
        item = get_item(session, task_code)
        if item is not None:
            session.expunge(item)  # with its loaded relations (cascade): read-only from here
        if current:
            with self._lock:
                if generation == self._generation:
                    self._items[task_code] = item
                    while len(self._items) > self.size:
                        self._items.popitem(last=False)
        return item

    def place_of(self, session: Session, item: Item) -> Place:
        """:func:`place_of` with the halls of this session's generation."""
        return _place_in(hall_directory(session, self.generation(session).halls), item)
