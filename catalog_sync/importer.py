"""Applying a parsed export to the database, in one transaction, keeping every version.

An item is keyed by its 实施编码 (TASK_CODE). For each incoming record:
- new code → created;
- same content as stored → unchanged (re-running an export changes nothing);
- lower TASK_VERSION than stored → stale, kept out (reported, never applied);
- otherwise → updated: the previous version stays in ``item_version`` and ``item_change``
  lists the fields that changed. TASK_STATE 3 marks the item cancelled (never deleted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from banshi.models import (
    STATE_CANCELLED,
    Charge,
    Hall,
    Item,
    ItemAlias,
    ItemChange,
    ItemVersion,
    Material,
    Question,
    Situation,
    Window,
)
from catalog_sync.records import HallRecord, ItemRecord, keywords_of

# export field -> Item column
ITEM_COLUMNS = {
    "TASK_GUID": "task_guid",
    "TASK_NAME": "name",
    "CATALOG_CODE": "catalog_code",
    "TASK_CODE": "task_code",
    "TASK_TYPE": "task_type",
    "TASK_VERSION": "version",
    "TASK_STATE": "state",
    "UPDATE_DATE": "update_date",
    "DEPT_NAME": "dept_name",
    "DEPT_CODE": "dept_code",
    "USE_LEVEL": "use_level",
    "SERVER_TYPE": "server_type",
    "USER_TOPIC_TYPE": "topic",
    "SEARCH_KEYWORDS": "keywords",
    "BY_LAW": "by_law",
    "ACCEPT_CONDITION": "accept_condition",
    "ANTICIPATE_DAY": "anticipate_day",
    "ANTICIPATE_TYPE": "anticipate_type",
    "PROMISE_DAY": "promise_day",
    "PROMISE_TYPE": "promise_type",
    "PROJECT_TYPE": "project_type",
    "HANDLE_FLOW": "handle_flow",
    "IS_FEE": "is_fee",
    "IS_ONLINE": "is_online",
    "ONLINE_HANDLE_URL": "online_url",
    "LIMIT_SCENE_NUM": "limit_scene_num",
    "CENTER_NAME": "center_name",
    "TRANSACT_ADDR": "transact_addr",
    "TRANSACT_TIME": "transact_time",
    "IS_SCHEDULE": "is_schedule",
    "SCHEDULE_NUM": "schedule_num",
    "SCHEDULE_RULE": "schedule_rule",
    "CONSULT_PHONE": "consult_phone",
    "COMPLAIN_PHONE": "complain_phone",
    "RESULT_NAME": "result_name",
}
# child list -> (table, export field -> column)
CHILD_TABLES: dict[str, tuple[Any, dict[str, str]]] = {
    "SITUATIONS": (Situation, {"TASK_HANDLE_ITEM": "handle_item_code", "NAME": "name"}),
    "MATERIALS": (
        Material,
        {
            "MATERIAL_NAME": "name",
            "MATERIAL_TYPE": "material_type",
            "MATERIAL_FORMAT": "material_format",
            "IS_NEED": "need",
            "SOURCE_TYPE": "source_type",
            "SOURCE_EXPLAIN": "source_explain",
            "ORIGINALNUM": "original_num",
            "COPIESNUM": "copies_num",
            "PAGE_FORMAT": "page_format",
            "HANDLE_CASE": "handle_case",
            "FILL_EXPLAIN": "fill_explain",
        },
    ),
    "CHARGES": (
        Charge,
        {
            "FEE_NAME": "name",
            "FEE_STAND": "standard",
            "BY_LAW": "by_law",
            "IS_DESC": "is_desc",
            "DESC_EXPLAIN": "desc_explain",
        },
    ),
    "QUESTIONS": (Question, {"QUESTION": "question", "ANSWER": "answer"}),
}
BATCH = 1000


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    unchanged: int = 0
    stale: list[ItemRecord] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _item_row(record: ItemRecord, now: datetime) -> dict[str, Any]:
    row = {column: record.data[name] for name, column in ITEM_COLUMNS.items()}
    for column in ("anticipate_type", "promise_type"):
        row[column] = row[column] or ""
    row["content_hash"] = record.content_hash
    row["synced_at"] = now
    row["cancelled_at"] = now if record.data["TASK_STATE"] == STATE_CANCELLED else None
    return row


def _child_rows(item_id: int, record: ItemRecord) -> dict[Any, list[dict[str, Any]]]:
    rows: dict[Any, list[dict[str, Any]]] = {}
    for key, (model, columns) in CHILD_TABLES.items():
        rows[model] = [
            {"item_id": item_id, "position": i}
            | {column: child[name] for name, column in columns.items()}
            for i, child in enumerate(record.data[key])
        ]
    rows[ItemAlias] = [
        {"item_id": item_id, "alias": word, "source": "keyword"}
        for word in keywords_of(record.data)
    ]
    return rows


def _batches(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _insert_many(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for chunk in _batches(rows):
        session.execute(insert(model.__table__), chunk)


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of the export fields whose value differs between two cleaned records."""
    return sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name))


def import_items(
    session: Session,
    records: list[ItemRecord],
    sync_id: int,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Apply ``records`` inside the caller's transaction; return what happened to each."""
    result = ImportResult()
    codes = [r.task_code for r in records]
    current: dict[str, tuple[int, int, str, str]] = {}
    for chunk_start in range(0, len(codes), BATCH):
        chunk = codes[chunk_start : chunk_start + BATCH]
        for row in session.execute(
            select(Item.task_code, Item.id, Item.version, Item.content_hash, Item.state).where(
                Item.task_code.in_(chunk)
            )
        ):
            current[row.task_code] = (row.id, row.version, row.content_hash, row.state)

    new_records: list[ItemRecord] = []
    changed: list[tuple[ItemRecord, int, int, str]] = []
    for record in records:
        existing = current.get(record.task_code)
        if existing is None:
            new_records.append(record)
        elif existing[2] == record.content_hash:
            result.unchanged += 1
        elif record.version < existing[1]:
            result.stale.append(record)
        else:
            changed.append((record, existing[0], existing[1], existing[3]))

    # The stored version of each changed item, to compute which fields changed.
    previous: dict[str, dict[str, Any]] = {}
    changed_codes = [r.task_code for r, *_ in changed]
    for chunk_start in range(0, len(changed_codes), BATCH):
        chunk = changed_codes[chunk_start : chunk_start + BATCH]
        for row in session.execute(
            select(ItemVersion.task_code, ItemVersion.record)
            .where(ItemVersion.task_code.in_(chunk), ItemVersion.superseded_at.is_(None))
            .order_by(ItemVersion.id)
        ):
            previous[row.task_code] = row.record

    versions: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    children: dict[Any, list[dict[str, Any]]] = {}

    def add_children(item_id: int, record: ItemRecord) -> None:
        for model, rows in _child_rows(item_id, record).items():
            children.setdefault(model, []).extend(rows)

    def add_version(record: ItemRecord) -> None:
        versions.append(
            {
                "task_code": record.task_code,
                "version": record.version,
                "content_hash": record.content_hash,
                "record": record.data,
                "sync_id": sync_id,
                "imported_at": now,
            }
        )

    # New items: insert in batches, then read back their ids for the children.
    _insert_many(session, Item, [_item_row(r, now) for r in new_records])
    new_ids: dict[str, int] = {}
    new_codes = [r.task_code for r in new_records]
    for chunk_start in range(0, len(new_codes), BATCH):
        chunk = new_codes[chunk_start : chunk_start + BATCH]
        new_ids.update(
            session.execute(select(Item.task_code, Item.id).where(Item.task_code.in_(chunk))).all()
        )
    for done, record in enumerate(new_records, 1):
        add_children(new_ids[record.task_code], record)
        add_version(record)
        changes.append(
            {
                "sync_id": sync_id,
                "task_code": record.task_code,
                "kind": "cancelled" if record.data["TASK_STATE"] == STATE_CANCELLED else "created",
                "from_version": None,
                "to_version": record.version,
                "fields": [],
                "changed_at": now,
            }
        )
        result.created.append(record.task_code)
        if progress and done % BATCH == 0:
            progress(done)

    # Changed items: update the row, replace the children, close the previous version.
    changed_ids = [item_id for _, item_id, _, _ in changed]
    for model, _ in list(CHILD_TABLES.values()) + [(ItemAlias, None)]:
        for start in range(0, len(changed_ids), BATCH):
            session.execute(
                delete(model.__table__).where(
                    model.__table__.c.item_id.in_(changed_ids[start : start + BATCH])
                )
            )
    for start in range(0, len(changed_codes), BATCH):
        session.execute(
            update(ItemVersion.__table__)
            .where(
                ItemVersion.__table__.c.task_code.in_(changed_codes[start : start + BATCH]),
                ItemVersion.__table__.c.superseded_at.is_(None),
            )
            .values(superseded_at=now)
        )
    for record, item_id, old_version, old_state in changed:
        row = _item_row(record, now)
        if old_state == STATE_CANCELLED and record.data["TASK_STATE"] == STATE_CANCELLED:
            row.pop("cancelled_at")  # keep the date it was first cancelled
        session.execute(update(Item.__table__).where(Item.__table__.c.id == item_id).values(row))
        add_children(item_id, record)
        add_version(record)
        new_state = record.data["TASK_STATE"]
        if new_state == STATE_CANCELLED and old_state != STATE_CANCELLED:
            kind = "cancelled"
            result.cancelled.append(record.task_code)
        elif old_state == STATE_CANCELLED and new_state != STATE_CANCELLED:
            kind = "reinstated"
        else:
            kind = "updated"
        changes.append(
            {
                "sync_id": sync_id,
                "task_code": record.task_code,
                "kind": kind,
                "from_version": old_version,
                "to_version": record.version,
                "fields": changed_fields(previous.get(record.task_code, {}), record.data),
                "changed_at": now,
            }
        )
        result.updated.append(record.task_code)

    for model, rows in children.items():
        _insert_many(session, model, rows)
    _insert_many(session, ItemVersion, versions)
    _insert_many(session, ItemChange, changes)
    return result


@dataclass
class HallImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def import_halls(session: Session, records: list[HallRecord], now: datetime) -> HallImportResult:
    """Create or update halls and their windows. Halls absent from the export are kept."""
    result = HallImportResult()
    existing = {hall.code: hall for hall in session.execute(select(Hall)).scalars()}
    for record in records:
        data = record.data
        hall = existing.get(data["HALL_CODE"])
        if hall is not None and hall.content_hash == record.content_hash:
            result.unchanged += 1
            continue
        if hall is None:
            hall = Hall(code=data["HALL_CODE"])
            session.add(hall)
            result.created.append(data["HALL_CODE"])
        else:
            result.updated.append(data["HALL_CODE"])
        hall.name = data["HALL_NAME"]
        hall.address = data["ADDRESS"]
        hall.phone = data["PHONE"]
        hall.lng = data["LNG"]
        hall.lat = data["LAT"]
        hall.weekly_hours = data["WEEKLY_HOURS"]
        hall.holiday_rule = data["HOLIDAY_RULE"]
        hall.content_hash = record.content_hash
        hall.synced_at = now
        hall.windows.clear()
        session.flush()  # old windows go before new ones take their numbers
        hall.windows = [
            Window(window_no=w["WINDOW_NO"], name=w["WINDOW_NAME"], task_codes=w["TASK_CODES"])
            for w in data["WINDOWS"]
        ]
        session.flush()
    return result
