"""The text of each item the search reads, loaded with plain column queries.

Building ORM objects with four child collections for 10,000 items took longer than the
search index itself; the index only needs a few columns and the child texts, so they are read
as rows. Items implementing one 事项 (the same 基本编码 and name) in several places are
grouped: the group, not each implementation, is what a question is matched against.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.models import Item, ItemAlias, Question, Situation

BATCH = 500  # codes per IN (...) list: well below every backend's limit on parameters

GroupKey = tuple[str, str]  # (基本编码, name): one 事项


@dataclass(frozen=True)
class ItemText:
    """One item as the search index reads it."""

    id: int
    task_code: str
    name: str
    state: str
    catalog_code: str
    dept_name: str
    use_level: str
    center_name: str
    content_hash: str
    aliases: tuple[str, ...] = ()
    situations: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    result: str = ""
    topic: str = ""
    condition: str = ""

    @property
    def group(self) -> GroupKey:
        return (self.catalog_code, self.name)

    @classmethod
    def of(cls, item: Item) -> ItemText:
        """From an ORM item (its aliases, situations and questions are read)."""
        return cls(
            id=item.id or 0,
            task_code=item.task_code,
            name=item.name,
            state=item.state,
            catalog_code=item.catalog_code or "",
            dept_name=item.dept_name or "",
            use_level=item.use_level or "",
            center_name=item.center_name or "",
            content_hash=item.content_hash or "",
            aliases=tuple(a.alias for a in item.aliases),
            situations=tuple(s.name for s in item.situations),
            questions=tuple(q.question for q in item.questions),
            result=item.result_name or "",
            topic=item.topic or "",
            condition=item.accept_condition or "",
        )


@dataclass(frozen=True)
class Stamp:
    """What says an item changed, and which 事项 it belongs to."""

    content_hash: str
    group: GroupKey


def stamps(session: Session) -> dict[str, Stamp]:
    """Every item's content hash and group: what an incremental build compares."""
    rows = session.execute(
        select(Item.task_code, Item.content_hash, Item.catalog_code, Item.name)
    ).all()
    return {code: Stamp(digest, (catalog, name)) for code, digest, catalog, name in rows}


_COLUMNS = (
    Item.id,
    Item.task_code,
    Item.name,
    Item.state,
    Item.catalog_code,
    Item.dept_name,
    Item.use_level,
    Item.center_name,
    Item.content_hash,
    Item.result_name,
    Item.topic,
    Item.accept_condition,
)


def load_texts(session: Session, groups: Iterable[GroupKey] | None = None) -> list[ItemText]:
    """The items of ``groups`` (all items when None), in the order of their ids."""
    if groups is None:
        rows = list(session.execute(select(*_COLUMNS).order_by(Item.id)))
    else:
        wanted = set(groups)
        codes = sorted({catalog for catalog, _ in wanted})
        rows = []
        for start in range(0, len(codes), BATCH):
            chunk = codes[start : start + BATCH]
            rows += [
                row
                for row in session.execute(select(*_COLUMNS).where(Item.catalog_code.in_(chunk)))
                if (row.catalog_code, row.name) in wanted
            ]
        rows.sort(key=lambda row: row.id)
    ids = [row.id for row in rows]
    aliases = _children(session, ItemAlias.item_id, ItemAlias.alias, ItemAlias.id, ids, groups)
    situations = _children(
        session, Situation.item_id, Situation.name, Situation.position, ids, groups
    )
    questions = _children(
        session, Question.item_id, Question.question, Question.position, ids, groups
    )
    return [
        ItemText(
            id=row.id,
            task_code=row.task_code,
            name=row.name,
            state=row.state,
            catalog_code=row.catalog_code or "",
            dept_name=row.dept_name or "",
            use_level=row.use_level or "",
            center_name=row.center_name or "",
            content_hash=row.content_hash or "",
            aliases=tuple(aliases.get(row.id, ())),
            situations=tuple(situations.get(row.id, ())),
            questions=tuple(questions.get(row.id, ())),
            result=row.result_name or "",
            topic=row.topic or "",
            condition=row.accept_condition or "",
        )
        for row in rows
    ]


def _children(
    session: Session,
    owner: object,
    text: object,
    order: object,
    ids: Sequence[int],
    groups: object,
) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if groups is None:  # everything: one query, no IN list
        batches: list[Sequence[int] | None] = [None]
    else:
        batches = [ids[start : start + BATCH] for start in range(0, len(ids), BATCH)]
    for batch in batches:
        query = select(owner, text).order_by(owner, order)
        if batch is not None:
            query = query.where(owner.in_(batch))  # type: ignore[attr-defined]
        for item_id, value in session.execute(query):
            out.setdefault(item_id, []).append(value)
    return out
