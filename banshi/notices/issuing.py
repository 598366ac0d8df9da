"""Issuing a notice: the number, the snapshot of everything told, and looking notices up."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from banshi.catalog import place_of
from banshi.codes import TASK_TYPES
from banshi.db import conflict_insert
from banshi.hours import weekly_hours_text
from banshi.models import (
    STATE_CANCELLED,
    Item,
    ItemVersion,
    Material,
    Notice,
    NoticeCounter,
    NoticeUpdate,
)
from banshi.notices.conditions import materials_for, situation_matters, situation_names
from banshi.notices.interview import plan
from banshi.text import normalize_message, split_steps


class CannotIssue(ValueError):
    """A notice cannot be issued; the message is written for the citizen."""


def next_serial(session: Session, year: int) -> int:
    """The next serial of ``year``, inside the caller's transaction.

    The UPDATE locks the year's row until the transaction ends, so concurrent issuers queue
    and never share a number; a rolled-back issue leaves a gap, which is allowed.
    """
    table = NoticeCounter.__table__
    session.execute(
        conflict_insert(session, table)
        .values(year=year, last=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    session.execute(update(table).where(table.c.year == year).values(last=table.c.last + 1))
    return int(session.execute(select(table.c.last).where(table.c.year == year)).scalar_one())


def current_version(session: Session, task_code: str) -> ItemVersion | None:
    return (
        session.execute(
            select(ItemVersion)
            .where(ItemVersion.task_code == task_code, ItemVersion.superseded_at.is_(None))
            .order_by(ItemVersion.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def issue_notice(
    session: Session,
    item: Item,
    situation: str | None,
    conditions: Mapping[str, bool | None],
    openid: str | None,
    today: date,
    *,
    prefix: str = "BS",
) -> Notice:
    """Issue and store a notice for ``item`` in ``situation`` with the citizen's answers.

    ``conditions`` maps a HANDLE_CASE to True / False, or None when the citizen is not sure
    (the material is then listed "如属…"). Call it in a short transaction: the year's
    counter row stays locked until commit. Raises :class:`CannotIssue`.
    """
    if item.state == STATE_CANCELLED:
        raise CannotIssue(f"【{item.name}】已取消，不再受理，无法开具告知单。")
    names = situation_names(item)
    if situation is not None and situation not in names:
        raise CannotIssue(f"「{situation}」不是【{item.name}】的办理情形，请重新选择。")
    if situation is None and len(names) == 1:
        situation = names[0]
    if situation is None and situation_matters(item):
        raise CannotIssue(f"【{item.name}】需要先选择办理情形，才能开具告知单。")
    version = current_version(session, item.task_code)
    if version is None:
        raise CannotIssue(f"【{item.name}】的办事指南版本缺失，请稍后再试或咨询窗口。")
    asked = {q.key: conditions.get(q.key) for q in plan(item, situation)}
    handle_item_code = next(
        (s.handle_item_code for s in item.situations if s.name == situation), None
    )
    snapshot = _snapshot(session, item, situation, handle_item_code, asked, version, today)

    number = f"{prefix}{today.year}{next_serial(session, today.year):06d}"  # BS2026000123
    snapshot["number"] = number
    notice = Notice(
        number=number,
        openid=openid,
        task_code=item.task_code,
        item_version=item.version,
        item_version_id=version.id,
        sync_id=version.sync_id,
        handle_item_code=handle_item_code,
        situation=situation,
        conditions=asked,
        snapshot=snapshot,
        issued_on=today,
        created_at=datetime.now().replace(microsecond=0),
    )
    session.add(notice)
    session.flush()
    return notice


def _material_entry(m: Material, condition: str | None) -> dict[str, Any]:
    return {
        "name": m.name,
        "type": m.material_type,
        "original_num": m.original_num,
        "copies_num": m.copies_num,
        "format": m.material_format,
        "need": m.need,
        "source_type": m.source_type,
        "source_explain": m.source_explain,
        "page_format": m.page_format,
        "fill_explain": m.fill_explain,
        "condition": condition,
    }


def _snapshot(
    session: Session,
    item: Item,
    situation: str | None,
    handle_item_code: str | None,
    answers: Mapping[str, bool | None],
    version: ItemVersion,
    today: date,
) -> dict[str, Any]:
    """Everything the notice tells, as plain data: both renderings read only this."""
    place = place_of(session, item)
    hall = place.hall
    return {
        "number": "",
        "issued_on": today.isoformat(),
        "item": {
            "name": item.name,
            "task_code": item.task_code,
            "handle_item_code": handle_item_code,
            "situation": situation,
            "dept_name": item.dept_name,
            "task_type": TASK_TYPES.get(item.task_type, ""),
            "state": item.state,
            "result_name": item.result_name,
        },
        "answers": [{"condition": c, "answer": a} for c, a in answers.items()],
        "accept_condition": split_steps(item.accept_condition),
        "materials": [_material_entry(m, c) for m, c in materials_for(item, situation, answers)],
        "process": split_steps(item.handle_flow),
        "time_limits": {
            "legal_days": item.anticipate_day,
            "legal_unit": item.anticipate_type or "工作日",
            "promise_days": item.promise_day,
            "promise_unit": item.promise_type or "工作日",
        },
        "trips": item.limit_scene_num,
        "online_url": item.online_url if item.is_online == "1" else "",
        "fees": {
            "free": item.is_fee != "1",
            "charges": [
                {
                    "name": c.name,
                    "standard": c.standard,
                    "basis": c.by_law,
                    "reduction": c.desc_explain,
                }
                for c in item.charges
            ],
        },
        "place": {
            "hall": hall.name if hall else item.center_name,
            "address": (hall.address if hall else "") or item.transact_addr,
            "window": f"{place.window.window_no} {place.window.name}".strip()
            if place.window
            else "",
            "hours": weekly_hours_text(hall) if hall else item.transact_time,
            "appointment": (item.schedule_rule or "可预约办理") if item.is_schedule == "1" else "",
        },
        "phones": {"consult": item.consult_phone, "complain": item.complain_phone},
        "catalog": {
            "item_version": item.version,
            "sync_id": version.sync_id,
            "update_date": (item.update_date or "")[:10],
        },
    }


_NUMBER = re.compile(r"^[A-Z]{1,8}20[0-9]{2}[0-9]{6}$")


def is_notice_number(text: str) -> bool:
    """Whether a message is only a notice number ("BS2026000123", "bs 2026 000123")."""
    return bool(_NUMBER.match(normalize_number(text)))


def normalize_number(number: str) -> str:
    """A notice number as typed by a citizen or clerk ("bs 2026 000123") in stored form."""
    return re.sub(r"[\s\-_]+", "", normalize_message(number)).upper()


def get_notice(session: Session, number: str) -> Notice | None:
    """A notice by its number (staff lookup, or a citizen opening one)."""
    return session.execute(
        select(Notice).where(Notice.number == normalize_number(number))
    ).scalar_one_or_none()


def list_notices(session: Session, openid: str) -> list[Notice]:
    """A citizen's notices, newest first ("我的告知单")."""
    return list(
        session.execute(
            select(Notice).where(Notice.openid == openid).order_by(Notice.id.desc())
        ).scalars()
    )


def forget_citizen(session: Session, openid: str) -> int:
    """On unsubscribe: unlink the citizen from their notices (kept for staff lookup by number)
    and drop undelivered change messages. Returns the number of notices unlinked."""
    session.execute(
        NoticeUpdate.__table__.delete().where(NoticeUpdate.__table__.c.openid == openid)
    )
    result = session.execute(
        update(Notice.__table__).where(Notice.__table__.c.openid == openid).values(openid=None)
    )
    return int(result.rowcount or 0)
