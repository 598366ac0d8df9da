"""Reading the catalog: an item with everything a guide answer needs, and where it is handled.

The halls and their windows change only when a hall export is synced, yet every answer asks
where its item is handled: they are read once per hall generation (the last hall sync, the
number of halls and the newest window) and kept, per database, until that changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

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
    directory = hall_directory(session)
    for hall, window in directory.by_task.get(item.task_code, ()):
        if not item.center_name or hall.name == item.center_name:
            return Place(hall, window)
    named = directory.by_name.get(item.center_name) if item.center_name else None
    return Place(named, None)


def hall_generation(session: Session) -> tuple[int, int, int]:
    """Changes whenever the halls do: (last hall sync, number of halls, newest window)."""
    row = session.execute(
        select(
            select(func.max(SyncRun.id))
            .where(SyncRun.status == "ok", SyncRun.kind == "halls")
            .scalar_subquery(),
            select(func.count()).select_from(Hall).scalar_subquery(),
            select(func.max(Window.id)).scalar_subquery(),
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


_lock = threading.Lock()
_directories: dict[str, tuple[tuple[int, int, int], HallDirectory]] = {}  # database -> latest


def hall_directory(session: Session) -> HallDirectory:
    """The halls of the current hall generation: one small query when nothing changed."""
    database = str(session.get_bind().engine.url)
    generation = hall_generation(session)
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
