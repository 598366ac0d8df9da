"""Reading the catalog: an item with everything a guide answer needs, and where it is handled."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from banshi.models import Hall, Item, Window


@dataclass(frozen=True)
class Place:
    """Where an item is handled: the hall (when the hall export knows it) and its window."""

    hall: Hall | None
    window: Window | None


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
    halls = list(
        session.execute(select(Hall).options(selectinload(Hall.windows))).scalars().unique()
    )
    for hall in halls:
        for window in hall.windows:
            listed = item.task_code in (window.task_codes or [])
            if listed and (not item.center_name or hall.name == item.center_name):
                return Place(hall, window)
    for hall in halls:
        if item.center_name and hall.name == item.center_name:
            return Place(hall, None)
    return Place(None, None)
