"""Change notices: telling holders of recent notices what a catalog sync changed, once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from banshi.links import Links
from banshi.models import (
    STATE_ACTIVE,
    STATE_CANCELLED,
    ItemChange,
    ItemVersion,
    Notice,
    NoticeUpdate,
)
from banshi.notices.conditions import select_materials
from banshi.notices.issuing import current_version
from banshi.notices.texts import copies_text, cut_notice, date_text, days_text
from banshi.text import WECHAT_TEXT_LIMIT

NOTIFY_DAYS = 90  # holders of notices issued within this many days are told of changes


@dataclass(frozen=True)
class NoticeChange:
    """A message owed to the holder of a notice: what changed since they were told."""

    id: int
    openid: str
    number: str
    text: str


def _record_view(
    record: Mapping[str, Any], situation: str | None, conditions: Mapping[str, bool | None]
) -> dict[str, Any]:
    """What a notice for this case would say, from an item version's stored record."""
    names = tuple(s["NAME"] for s in record.get("SITUATIONS") or [])
    if situation is not None and situation not in names:
        situation_known = False
        selected: list[tuple[int, str | None]] = [
            (i, None) for i, m in enumerate(record.get("MATERIALS") or []) if not m["HANDLE_CASE"]
        ]
    else:
        situation_known = True
        cases = [m["HANDLE_CASE"] for m in record.get("MATERIALS") or []]
        selected = select_materials(names, cases, situation, conditions)
    materials = record.get("MATERIALS") or []
    free = record.get("IS_FEE") != "1"
    return {
        "state": record.get("TASK_STATE"),
        "situation_known": situation_known,
        "materials": [materials[i]["MATERIAL_NAME"] for i, _ in selected],
        "details": {
            m["MATERIAL_NAME"]: copies_text(
                {
                    "original_num": m.get("ORIGINALNUM"),
                    "copies_num": m.get("COPIESNUM"),
                    "type": m.get("MATERIAL_TYPE"),
                }
            )
            for m in materials
        },
        "consult_phone": record.get("CONSULT_PHONE") or "12345",
        "fee": "不收费"
        if free
        else "；".join(f"{c['FEE_NAME']}{c['FEE_STAND']}" for c in record.get("CHARGES") or [])
        or "收费",
        "legal": days_text(record.get("ANTICIPATE_DAY"), record.get("ANTICIPATE_TYPE") or ""),
        "promise": days_text(record.get("PROMISE_DAY"), record.get("PROMISE_TYPE") or ""),
        "update_date": (record.get("UPDATE_DATE") or "")[:10],
    }


def _change_lines(
    old: Mapping[str, Any], new: Mapping[str, Any], situation: str | None
) -> list[str]:
    lines = []
    if new["state"] == STATE_CANCELLED and old["state"] != STATE_CANCELLED:
        lines.append("· 该事项已取消，不再受理。")
    elif new["state"] != STATE_ACTIVE and old["state"] == STATE_ACTIVE:
        lines.append("· 该事项目前暂停办理，恢复办理以正式通知为准。")
    elif new["state"] == STATE_ACTIVE and old["state"] != STATE_ACTIVE:
        lines.append("· 该事项已恢复办理。")
    if old["situation_known"] and not new["situation_known"]:
        lines.append(f"· 办理情形“{situation}”已调整，请重新生成告知单核对材料。")
    added = [m for m in new["materials"] if m not in old["materials"]]
    removed = [m for m in old["materials"] if m not in new["materials"]]
    if added:
        details = new["details"]
        lines.append(
            "· 新增材料："
            + "、".join(f"{m}（{details[m]}）" if details.get(m) else m for m in added)
        )
    if removed:
        lines.append("· 不再需要的材料：" + "、".join(removed))
    if new["fee"] != old["fee"]:
        lines.append(f"· 收费调整：原为“{old['fee']}”，现为“{new['fee']}”")
    if new["legal"] != old["legal"]:
        lines.append(f"· 法定办结时限：由{old['legal']}调整为{new['legal']}")
    if new["promise"] != old["promise"]:
        lines.append(f"· 承诺办结时限：由{old['promise']}调整为{new['promise']}")
    return lines


def _change_text(notice: Notice, lines: list[str], new: Mapping[str, Any], url: str) -> str:
    when = f"于{date_text(new['update_date'])}" if new.get("update_date") else ""
    name = notice.snapshot["item"]["name"]
    head = (
        f"您好！您于{date_text(notice.issued_on.isoformat())}开具的一次性告知单"
        f"（编号{notice.number}，{name}）所依据的办事指南{when}已调整，与您的办理情形有关的变化如下："
    )
    if new["state"] == STATE_CANCELLED:
        advice = f"如有疑问，请咨询 {new['consult_phone']}。"
    else:
        advice = "请按调整后的要求准备，回复“告知单”可重新生成最新的告知单。"
    foot = f"{advice}原告知单：{url}"
    body = "\n".join(lines)
    room = WECHAT_TEXT_LIMIT - len((head + foot).encode("utf-8")) - 2
    return "\n".join([head, cut_notice(body, room), foot])


def changes_for_notices(
    session: Session,
    since_sync_id: int | None,
    today: date,
    *,
    links: Links,
) -> list[NoticeChange]:
    """Tell holders of notices from the last 90 days what changed in their item.

    Compares, for each notice's own situation and answers, the item version the holder was
    last told about with the current one: materials added or removed (by name), fees, time
    limits, suspension or cancellation. Each change is recorded in ``notice_update`` and the
    notice marked, so a second call returns nothing new. ``since_sync_id`` limits the work to
    items changed by that sync or later ones.
    """
    query = (
        select(Notice)
        .where(Notice.issued_on >= today - timedelta(days=NOTIFY_DAYS), Notice.openid.is_not(None))
        .order_by(Notice.id)
        .with_for_update(skip_locked=True)
    )
    if since_sync_id is not None:
        changed = select(ItemChange.task_code).where(ItemChange.sync_id >= since_sync_id)
        query = query.where(Notice.task_code.in_(changed))
    notices = list(session.execute(query).scalars())
    current: dict[str, ItemVersion | None] = {}
    records: dict[int, Mapping[str, Any]] = {}
    now = datetime.now().replace(microsecond=0)
    out: list[NoticeChange] = []
    for notice in notices:
        if notice.task_code not in current:
            current[notice.task_code] = current_version(session, notice.task_code)
        latest = current[notice.task_code]
        known = notice.notified_version_id or notice.item_version_id
        if latest is None or latest.id == known:
            continue
        if known not in records:
            known_version = session.get(ItemVersion, known)
            records[known] = known_version.record if known_version else {}
        old = _record_view(records[known], notice.situation, notice.conditions or {})
        new = _record_view(latest.record, notice.situation, notice.conditions or {})
        notice.notified_version_id = latest.id
        lines = _change_lines(old, new, notice.situation)
        if not lines:
            continue
        notice.notified_at = now
        text = _change_text(notice, lines, new, links.notice(notice.number))
        update_row = NoticeUpdate(
            notice_id=notice.id,
            openid=notice.openid,
            text=text,
            from_version_id=known,
            to_version_id=latest.id,
            created_at=now,
        )
        session.add(update_row)
        session.flush()
        out.append(NoticeChange(update_row.id, notice.openid or "", notice.number, text))
    session.flush()
    return out


def pending_query(openid: str | None = None, ids: Iterable[int] | None = None) -> Select:
    """The change messages recorded but not yet delivered, with their notice's number (one
    citizen's, some, or everyone's), oldest first: what :func:`claim_changes` takes, and what
    :func:`banshi.owed.check` asks about."""
    query = (
        select(NoticeUpdate, Notice.number)
        .join(Notice, Notice.id == NoticeUpdate.notice_id)
        .where(NoticeUpdate.delivered_at.is_(None))
        .order_by(NoticeUpdate.id)
    )
    if openid is not None:
        query = query.where(NoticeUpdate.openid == openid)
    if ids is not None:
        query = query.where(NoticeUpdate.id.in_(list(ids)))
    return query


def pending_changes(
    session: Session, openid: str | None = None, ids: Iterable[int] | None = None
) -> list[NoticeChange]:
    """Change messages recorded but not yet delivered (one citizen's, some, or everyone's)."""
    query = pending_query(openid, ids)
    return [
        NoticeChange(row.id, row.openid, number, row.text) for row, number in session.execute(query)
    ]


def claim_changes(
    session: Session,
    openid: str | None = None,
    ids: Iterable[int] | None = None,
    when: datetime | None = None,
) -> list[NoticeChange]:
    """Take pending change messages for delivery (one citizen's, some, or all).

    Each row is marked delivered by an UPDATE that only matches while it is still pending, so
    of two callers racing for it exactly one sees it change: the other waits for the first
    transaction's lock and then matches nothing. Commit before sending; hand back what could
    not be sent with :func:`release_changes`.
    """
    wanted = None if ids is None else list(ids)
    if wanted is not None and not wanted:
        return []
    stamp = when or datetime.now().replace(microsecond=0)
    table = NoticeUpdate.__table__
    claimed = []
    for change in pending_changes(session, openid, wanted):
        result = session.execute(
            update(table)
            .where(table.c.id == change.id, table.c.delivered_at.is_(None))
            .values(delivered_at=stamp)
        )
        if result.rowcount == 1:
            claimed.append(change)
    return claimed


def release_changes(session: Session, ids: Iterable[int]) -> None:
    """Make claimed change messages pending again: they could not be sent."""
    ids = list(ids)
    if not ids:
        return
    table = NoticeUpdate.__table__
    session.execute(update(table).where(table.c.id.in_(ids)).values(delivered_at=None))
