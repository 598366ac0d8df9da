"""一次性告知单: ask only what changes the list, then issue a numbered notice and keep it current.

行政许可法 第三十二条 promises that a citizen is told everything missing at once. A notice is
built for the citizen's exact case: the item's 办理情形 (situation) and the conditions on its
materials (HANDLE_CASE such as 委托他人代办的). Nothing here talks to Rasa or WeChat.

How the adapters use it
-----------------------
Interview (Rasa form): keep ``situation`` and ``conditions`` in slots. Each turn call
:func:`next_question`; show ``question.text``; read the reply with :func:`parse_answer`
(``None`` means not understood: ask again); store ``answer.value``. When
:func:`next_question` returns ``None``, call :func:`issue_notice` inside one short transaction
and send :func:`notice_text`. The page at ``/notices/{number}`` is
:func:`banshi.notice_page.render_html` of :func:`get_notice`.

Change notices (WeChat channel): after a catalog sync of items, call
:func:`changes_for_notices` with the sync's id (``None`` catches up on everything). Each
returned :class:`NoticeChange` is also kept in ``notice_update`` until delivered. Two paths
deliver it and may race: a push by customer-service message while the citizen's 48-hour
window is open, and the reply to the citizen's next message. Each takes the changes with
:func:`claim_changes` in a transaction of its own (committed before sending), which hands a
change to one caller only, so a citizen is never told the same change twice; the push gives
back what WeChat refused with :func:`release_changes`, for the next message. The reply
claims after the dialogue ran, so a failed turn leaves the changes pending. On
``unsubscribe`` call :func:`forget_citizen`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from banshi.answers import WECHAT_TEXT_LIMIT, _split_steps
from banshi.catalog import get_item, place_of
from banshi.codes import TASK_TYPES
from banshi.db import session_scope
from banshi.guide import DialogueState, Guide, GuideReply, parse_choice
from banshi.hours import weekly_hours_text
from banshi.models import (
    STATE_ACTIVE,
    STATE_CANCELLED,
    Item,
    ItemChange,
    ItemVersion,
    Material,
    Notice,
    NoticeCounter,
    NoticeUpdate,
)
from banshi.settings import load_settings
from banshi.text import normalize_message

SITUATION = "situation"
CONDITION = "condition"

# What a HANDLE_CASE means for the chosen situation.
APPLIES = "applies"  # the material is needed; nothing to ask
NOT_NEEDED = "not_needed"  # it only concerns other situations
ASK = "ask"  # only the citizen knows: ask

NOTIFY_DAYS = 90  # holders of notices issued within this many days are told of changes

# ====================================================================== the interview


@dataclass(frozen=True)
class Question:
    """One question of the interview. ``key`` is "" for the situation, else the HANDLE_CASE."""

    kind: str  # SITUATION / CONDITION
    key: str
    text: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    """A reply understood: the situation's name, or True / False / None (不确定) for a condition."""

    value: str | bool | None


_BRACKETED = re.compile(r"（[^（）]*）|\([^()]*\)")
_EDGE = "（）()「」“”\"' "
_SEPARATOR = re.compile(r"或者|或|、|，|,|；|;")
_EXCLUSION = re.compile(r"[（(]([^（）()]*?)除外[）)]|[，,；;]([^，,；;（）()]*?)除外")
_NEGATION = "非不未无除"
_FILLER = re.compile(r"办理|申请|申领|或者|或|及|和|与|的|[、，,；;（）()“”\s]")
_COMBINED = "同时"  # 两项补贴同时申领: a situation that is the others together


@dataclass(frozen=True)
class _Alternative:
    """One alternative of a condition ("A或B", "A、B" hold when either holds)."""

    linked: frozenset[int] | None  # the situations it can hold in; None: any situation
    settled: bool  # it holds in every linked situation without asking


def _affixes(names: Sequence[str]) -> tuple[str, str]:
    """The prefix and suffix shared by all names (empty for fewer than two names)."""
    if len(names) < 2:
        return "", ""
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    suffix = names[0]
    for name in names[1:]:
        while not name.endswith(suffix):
            suffix = suffix[1:]
    shortest = min(len(n) for n in names)
    if len(prefix) + len(suffix) > shortest:  # the affixes overlap inside the shortest name
        suffix = suffix[len(prefix) + len(suffix) - shortest :]
    return prefix, suffix


@lru_cache(maxsize=512)
def _keys(situations: tuple[str, ...]) -> dict[str, frozenset[int]]:
    """Words that name situations, each with the situations it names.

    A situation is named by its name, its name without a bracketed note (换发（信息有误…）
    → 换发) and its distinctive core: the name minus the prefix and suffix all the item's
    situations share (有效期满 in 有效期满换领 / 证件损坏换领). A one-character core
    (一孩 / 二孩 / 三孩) only counts together with the neighbouring shared character.
    """
    keys: dict[str, set[int]] = {}
    bases = tuple(_BRACKETED.sub("", n) or n for n in situations)
    for group in (situations, bases):
        prefix, suffix = _affixes(group)
        for i, name in enumerate(group):
            keys.setdefault(name, set()).add(i)
            if len(group) < 2:
                continue
            core = name[len(prefix) : len(name) - len(suffix)].strip(_EDGE)
            if len(core) >= 2:
                keys.setdefault(core, set()).add(i)
            elif len(core) == 1:
                if prefix:
                    keys.setdefault(prefix[-1] + core, set()).add(i)
                if suffix:
                    keys.setdefault(core + suffix[0], set()).add(i)
    return {k: frozenset(v) for k, v in keys.items()}


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    linked: frozenset[int]


def _spans(text: str, keys: Mapping[str, frozenset[int]]) -> list[_Span]:
    """Non-overlapping mentions of situations in ``text``, longest words first.

    A mention right after a negation (非本市户籍…) does not link: it means the opposite.
    """
    taken = [False] * len(text)
    found: list[_Span] = []
    for key in sorted(keys, key=len, reverse=True):
        start = text.find(key)
        while start != -1:
            end = start + len(key)
            negated = start > 0 and text[start - 1] in _NEGATION
            if not negated and not any(taken[start:end]):
                found.append(_Span(start, end, keys[key]))
                taken[start:end] = [True] * (end - start)
            start = text.find(key, start + 1)
    return sorted(found, key=lambda s: s.start)


def _strip_shared(text: str, names: Sequence[str]) -> str:
    """Remove from ``text`` every word (2+ characters) that all ``names`` contain."""
    while True:
        best = ""
        for i in range(len(text)):
            for j in range(len(text), i + max(1, len(best)), -1):
                if j - i >= 2 and all(text[i:j] in n for n in names):
                    best = text[i:j]
                    break
        if not best:
            return text
        text = text.replace(best, "", 1)


def _alternatives(text: str, keys: Mapping[str, frozenset[int]]) -> list[str]:
    """``text`` split at 或 / 、 / ， — but never inside a situation's name."""
    spans = {s.start: s for s in _spans(text, keys)}
    parts: list[str] = []
    start = i = 0
    while i < len(text):
        if i in spans:
            i = spans[i].end
            continue
        separator = _SEPARATOR.match(text, i)
        if separator:
            parts.append(text[start:i])
            start = i = separator.end()
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _complete(parts: Sequence[str], n: int, keys: Mapping[str, frozenset[int]]) -> str:
    """Undo the ellipsis of "正本或副本遗失" (= 正本遗失 or 副本遗失) and "补领结婚证或离婚证":
    borrow the neighbour's tail or head when that makes a situation's name appear."""
    part = parts[n]
    if n + 1 < len(parts):
        after = parts[n + 1]
        for k in range(1, len(after)):
            candidate = part + after[k:]
            if any(s.start < len(part) < s.end for s in _spans(candidate, keys)):
                return candidate
    if n > 0:
        before = parts[n - 1]
        for k in range(len(before) - 1, 0, -1):
            candidate = before[:k] + part
            if any(s.start < k < s.end for s in _spans(candidate, keys)):
                return candidate
    return part


@lru_cache(maxsize=4096)
def _analyse(situations: tuple[str, ...], case: str) -> tuple[_Alternative, ...]:
    """How a condition relates to the situations; see :func:`decide`."""
    keys = _keys(situations)
    everyone = frozenset(range(len(situations)))
    excluded: set[int] = set()
    for match in _EXCLUSION.finditer(case):
        for span in _spans(match.group(1) or match.group(2) or "", keys):
            excluded |= span.linked
    parts = _alternatives(_EXCLUSION.sub("", case), keys)

    alternatives = []
    for n, part in enumerate(parts):
        found = _spans(part, keys)
        if not found:
            part = _complete(parts, n, keys)
            found = _spans(part, keys)
        rest = part
        for span in reversed(found):
            rest = rest[: span.start] + rest[span.end :]
        linked: frozenset[int] | None
        if found:
            linked = frozenset().union(*(s.linked for s in found)) - excluded
        elif excluded:
            linked = everyone - excluded
        elif _FILLER.sub("", rest):
            linked = None
        else:
            continue  # a fragment such as "办理" carries no meaning of its own
        if linked is not None:
            combined = {
                j
                for j, name in enumerate(situations)
                if _COMBINED in name and j not in excluded and linked - {j}
            }
            linked = linked | combined
            rest = _strip_shared(rest, [situations[j] for j in linked] or list(situations))
        settled = linked is not None and not _FILLER.sub("", rest)
        alternatives.append(_Alternative(linked, settled))
    return tuple(alternatives) or (_Alternative(None, False),)


def decide(situations: Sequence[str], case: str, situation: str | None) -> str:
    """Whether a material with HANDLE_CASE ``case`` is needed in ``situation``.

    Returns :data:`APPLIES`, :data:`NOT_NEEDED` or :data:`ASK`. The rule:

    - empty → always needed; a situation's name → needed in that situation only;
    - otherwise a condition. Its alternatives ("A或B", "A、B") are read separately. A
      situation named in an alternative (see :func:`_keys`) links it to that situation; an
      "（X除外）" clause unlinks X, and with no situation named links all the others. An
      alternative with nothing left but situation words and fillers (办理、申请、的) follows
      from the situation (办理二孩、三孩生育登记的; 延续注册或变更注册的); one with more
      words is asked, but only in its linked situations (逾期首次注册…); one naming no
      situation is asked in all. "正本或副本遗失" is read as 正本遗失 or 副本遗失, and a
      situation that is the others together (两项补贴同时申领) goes with any of them.

    With ``situation`` None (the item has none, or it does not matter), a decision that
    differs between situations is :data:`ASK`.
    """
    if not case:
        return APPLIES
    names = tuple(situations)
    if situation is None:
        if not names:
            return ASK
        decisions = {decide(names, case, name) for name in names}
        return decisions.pop() if len(decisions) == 1 else ASK
    if situation not in names:
        raise ValueError(f"「{situation}」不是本事项的办理情形")
    if case in names:
        return APPLIES if case == situation else NOT_NEEDED
    chosen = names.index(situation)
    alternatives = _analyse(names, case)
    if any(a.settled and a.linked is not None and chosen in a.linked for a in alternatives):
        return APPLIES
    if any(a.linked is None or chosen in a.linked for a in alternatives):
        return ASK
    return NOT_NEEDED


def _situation_names(item: Item) -> tuple[str, ...]:
    return tuple(s.name for s in item.situations)


def _cases(item: Item) -> list[str]:
    """The item's HANDLE_CASE values, each once, in the order of its materials."""
    return list(dict.fromkeys(m.handle_case for m in item.materials if m.handle_case))


def situation_matters(item: Item) -> bool:
    """Whether the choice of situation changes the list of materials or the questions."""
    names = _situation_names(item)
    if len(names) < 2:
        return False
    return any(len({decide(names, c, n) for n in names}) > 1 for c in _cases(item))


def plan(item: Item, situation: str | None = None) -> list[Question]:
    """The questions to ask, in order, given the situation if known.

    With several situations that matter and none chosen yet, only the situation question is
    returned: which conditions to ask depends on the answer.
    """
    names = _situation_names(item)
    if situation is None and situation_matters(item):
        return [_situation_question(names)]
    if situation is None and len(names) == 1:
        situation = names[0]
    return [_condition_question(c) for c in _cases(item) if decide(names, c, situation) == ASK]


def next_question(
    item: Item, situation: str | None, conditions: Mapping[str, bool | None]
) -> Question | None:
    """The first question not answered yet; None when the notice can be issued."""
    for question in plan(item, situation):
        if question.kind == SITUATION or question.key not in conditions:
            return question
    return None


def _situation_question(names: Sequence[str]) -> Question:
    lines = ["请问您属于以下哪种办理情形？请回复序号或情形名称："]
    lines += [f"{i}. {name}" for i, name in enumerate(names, 1)]
    return Question(SITUATION, "", "\n".join(lines), tuple(names))


def _condition_question(case: str) -> Question:
    text = (
        f"请问您的情况是否属于：“{case}”？请回复“是”或“不是”。"
        "如不确定，可回复“不确定”，告知单会把相应材料一并列出。"
    )
    return Question(CONDITION, case, text, ("是", "不是"))


_UNSURE = re.compile(r"不确定|不清楚|不知道|不晓得|说不准|不好说|不一定|不太清楚")
_NO = re.compile(r"^(?:不是|不属于|不对|不用|不需要|没有|没|无|否|不)|^(?:no|n)$")
_YES = re.compile(r"^(?:是|对|有|属于|需要|要|嗯|好|确认)|^(?:yes|y|ok)$")


def _common_length(a: str, b: str) -> int:
    """Length of the longest common substring of ``a`` and ``b``."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def parse_answer(question: Question, text: str) -> Answer | None:
    """The citizen's reply understood, or None (ask again).

    Accepts a number ("2", "第二个"), yes / no words ("是", "对", "不是", "没有"), "不确定",
    or the option's name or a distinctive part of it ("二孩", "有效期满").
    """
    reply = re.sub(r"[\s,，.。!！?？~、]+", "", normalize_message(text)).lower()
    if not reply:
        return None
    options = question.options
    if question.kind == CONDITION:
        if _UNSURE.search(reply):
            return Answer(None)
        choice = parse_choice(reply, len(options))
        if choice is not None:
            return Answer(choice == 1) if choice > 0 else None
        if _NO.match(reply):
            return Answer(False)
        if _YES.match(reply):
            return Answer(True)
        return None
    choice = parse_choice(reply, len(options))
    if choice is not None:
        return Answer(options[choice - 1]) if choice > 0 else None
    if reply in options:
        return Answer(reply)
    named = {s.linked for s in _spans(reply, _keys(options))}
    if len(named) == 1:
        (linked,) = named
        if len(linked) == 1:
            return Answer(options[next(iter(linked))])
    scores = [_common_length(reply, option) for option in options]
    best = max(scores)
    if best >= 2 and scores.count(best) == 1:
        return Answer(options[scores.index(best)])
    return None


def _select(
    names: tuple[str, ...],
    cases: Sequence[str],
    situation: str | None,
    conditions: Mapping[str, bool | None],
) -> list[tuple[int, str | None]]:
    """Indexes of the materials on the notice, each with the condition it still depends on
    (the citizen was not sure, or was not asked) or None."""
    listed: list[tuple[int, str | None]] = []
    for i, case in enumerate(cases):
        decision = decide(names, case, situation)
        if decision == APPLIES:
            listed.append((i, None))
        elif decision == ASK:
            answer = conditions.get(case)
            if answer is None:
                listed.append((i, case))
            elif answer:
                listed.append((i, None))
    return listed


def materials_for(
    item: Item, situation: str | None, conditions: Mapping[str, bool | None]
) -> list[tuple[Material, str | None]]:
    """The item's materials for this case: (material, condition it still depends on or None)."""
    names = _situation_names(item)
    if situation is None and len(names) == 1:
        situation = names[0]
    cases = [m.handle_case for m in item.materials]
    return [(item.materials[i], c) for i, c in _select(names, cases, situation, conditions)]


# ====================================================================== issuing


class CannotIssue(ValueError):
    """A notice cannot be issued; the message is written for the citizen."""


def _counter_insert(session: Session) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(NoticeCounter.__table__)
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(NoticeCounter.__table__)
    raise NotImplementedError(f"告知单编号不支持 {name} 数据库（仅支持 PostgreSQL 和 SQLite）")


def next_serial(session: Session, year: int) -> int:
    """The next serial of ``year``, inside the caller's transaction.

    The UPDATE locks the year's row until the transaction ends, so concurrent issuers queue
    and never share a number; a rolled-back issue leaves a gap, which is allowed.
    """
    table = NoticeCounter.__table__
    session.execute(
        _counter_insert(session)
        .values(year=year, last=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    session.execute(update(table).where(table.c.year == year).values(last=table.c.last + 1))
    return int(session.execute(select(table.c.last).where(table.c.year == year)).scalar_one())


def _current_version(session: Session, task_code: str) -> ItemVersion | None:
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
    prefix: str | None = None,
) -> Notice:
    """Issue and store a notice for ``item`` in ``situation`` with the citizen's answers.

    ``conditions`` maps a HANDLE_CASE to True / False, or None when the citizen is not sure
    (the material is then listed "如属…"). Call it in a short transaction: the year's
    counter row stays locked until commit. Raises :class:`CannotIssue`.
    """
    if item.state == STATE_CANCELLED:
        raise CannotIssue(f"【{item.name}】已取消，不再受理，无法开具告知单。")
    names = _situation_names(item)
    if situation is not None and situation not in names:
        raise CannotIssue(f"「{situation}」不是【{item.name}】的办理情形，请重新选择。")
    if situation is None and len(names) == 1:
        situation = names[0]
    if situation is None and situation_matters(item):
        raise CannotIssue(f"【{item.name}】需要先选择办理情形，才能开具告知单。")
    version = _current_version(session, item.task_code)
    if version is None:
        raise CannotIssue(f"【{item.name}】的办事指南版本缺失，请稍后再试或咨询窗口。")
    asked = {q.key: conditions.get(q.key) for q in plan(item, situation)}
    handle_item_code = next(
        (s.handle_item_code for s in item.situations if s.name == situation), None
    )
    snapshot = _snapshot(session, item, situation, handle_item_code, asked, version, today)

    prefix = prefix or load_settings().notice_prefix
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
        "accept_condition": _split_steps(item.accept_condition),
        "materials": [_material_entry(m, c) for m, c in materials_for(item, situation, answers)],
        "process": _split_steps(item.handle_flow),
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


# ====================================================================== lookup


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


# ====================================================================== texts

REMEDY = (
    "对办理结果不服的，可以自知道或者应当知道之日起六十日内依法申请行政复议，"
    "或者六个月内依法向人民法院提起行政诉讼。"
)  # 行政复议法（2023年修订）第二十条；行政诉讼法 第四十六条
NEED_LABELS = {
    "必要": "必要",
    "非必要": "非必要（有则提供）",
    "容缺后补": "容缺后补（可先受理，按约定时间补交）",
}


def notice_url(number: str, public_url: str | None = None) -> str:
    base = (public_url or load_settings().public_url).rstrip("/")
    return f"{base}/notices/{number}"


def date_text(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def days_text(days: int | None, unit: str) -> str:
    if days is None:
        return "办事指南未列出"
    if days == 0:
        return "即办（材料齐全、符合条件的当场办结）"
    return f"{days}个{unit or '工作日'}"


def copies_text(m: Mapping[str, Any]) -> str:
    """原件1份、复印件2份 — or the type alone when the counts are not published."""
    counts = []
    if m.get("original_num"):
        counts.append(f"原件{m['original_num']}份")
    if m.get("copies_num"):
        counts.append(f"复印件{m['copies_num']}份")
    return "、".join(counts) or m.get("type") or ""


def source_text(m: Mapping[str, Any]) -> str:
    parts = [p for p in (m.get("source_type"), m.get("source_explain")) if p]
    return "：".join(parts)


def need_text(m: Mapping[str, Any]) -> str:
    need = m.get("need") or "必要"
    return NEED_LABELS.get(need, need)


def trips_text(trips: int | None) -> str:
    if trips is None:
        return "办事指南未列出，请咨询窗口"
    if trips == 0:
        return "0次（全程网上办理）"
    return f"材料齐全的情况下最多{trips}次"


def fee_lines(fees: Mapping[str, Any], with_basis: bool = True) -> list[str]:
    """Exactly "不收费" when free; otherwise each standard with its basis."""
    if fees.get("free"):
        return ["不收费"]
    lines = []
    for c in fees.get("charges") or []:
        line = f"{c['name']}：{c['standard']}" if c.get("name") else str(c.get("standard", ""))
        if with_basis and c.get("basis"):
            line += f"（依据：{c['basis']}）"
        if with_basis and c.get("reduction"):
            line += f"（减免：{c['reduction']}）"
        lines.append(line)
    return lines or ["收费，具体标准请咨询窗口"]


def answers_text(snapshot: Mapping[str, Any]) -> list[str]:
    labels = {True: "是", False: "否", None: "不确定（相关材料已一并列出）"}
    return [f"{a['condition']}：{labels[a['answer']]}" for a in snapshot.get("answers", [])]


def state_warning(snapshot: Mapping[str, Any]) -> str:
    state = snapshot["item"].get("state")
    if state in (None, STATE_ACTIVE):
        return ""
    return "注意：该事项目前暂停办理，恢复办理以正式通知为准，请先电话咨询后再前往。"


def catalog_text(snapshot: Mapping[str, Any]) -> str:
    c = snapshot["catalog"]
    updated = f"（{c['update_date']}更新）" if c.get("update_date") else ""
    return f"依据办事指南第{c['item_version']}版{updated}，目录同步批次{c['sync_id']}"


def _material_chat_line(n: int, m: Mapping[str, Any], detailed: bool) -> str:
    details = [d for d in (copies_text(m), m.get("format")) if d]
    if m.get("need") and m.get("need") != "必要":
        details.append(m["need"])
    if detailed and m.get("source_explain"):
        details.append(m["source_explain"])
    when = f"如属“{m['condition']}”：" if m.get("condition") else ""
    return f"{n}. {when}{m['name']}" + (f"（{'，'.join(details)}）" if details else "")


def _fits(text: str) -> bool:
    return len(text.encode("utf-8")) <= WECHAT_TEXT_LIMIT


def _cut(text: str, budget: int) -> str:
    """``text`` cut to ``budget`` UTF-8 bytes, marked as cut."""
    if len(text.encode("utf-8")) <= budget:
        return text
    mark = "…（详见完整告知单）"
    room = budget - len(mark.encode("utf-8"))
    while room > 0 and len(text.encode("utf-8")) > room:
        text = text[: max(0, len(text) - max(1, (len(text.encode("utf-8")) - room) // 3))]
    return text + mark if room > 0 else ""


def notice_text(notice: Notice, public_url: str | None = None) -> list[str]:
    """The chat version: two messages of at most 2,000 bytes, with the number and the link."""
    s = notice.snapshot
    item = s["item"]
    head = [f"【一次性告知单】编号：{notice.number}", f"事项：{item['name']}"]
    head.append(f"实施编码：{item['task_code']}")
    if item.get("situation"):
        head.append(f"办理情形：{item['situation']}")
    if item.get("handle_item_code"):
        head.append(f"业务办理项编码：{item['handle_item_code']}")
    head += [f"您的情况：{line}" for line in answers_text(s)]
    head.append(f"开具日期：{date_text(s['issued_on'])}")
    if state_warning(s):
        head.append(state_warning(s))
    materials = s["materials"]
    first = ""
    for detailed in (True, False):
        body = head + [f"一、申请材料（共{len(materials)}项）："]
        body += [_material_chat_line(n, m, detailed) for n, m in enumerate(materials, 1)]
        first = "\n".join(body)
        if _fits(first):
            break
    if not _fits(first):
        first = _cut(first, WECHAT_TEXT_LIMIT)

    limits = s["time_limits"]
    place = s["place"]
    phones = s["phones"]
    where = "；".join(
        p for p in (place.get("hall"), place.get("address"), place.get("window")) if p
    )
    url = notice_url(notice.number, public_url)
    for with_basis in (True, False):
        tail = [
            "三、办理时限：法定"
            + days_text(limits["legal_days"], limits["legal_unit"])
            + "，承诺"
            + days_text(limits["promise_days"], limits["promise_unit"]),
            f"四、到现场次数：{trips_text(s.get('trips'))}",
            "五、收费：" + "；".join(fee_lines(s["fees"], with_basis)),
            f"六、办理地点：{where or '请咨询窗口'}",
        ]
        if place.get("hours"):
            tail.append(f"办公时间：{place['hours']}")
        tail += [
            f"七、咨询电话：{phones.get('consult') or '12345'}；"
            f"投诉电话：{phones.get('complain') or '12345'}",
            f"八、{REMEDY}",
            catalog_text(s) + "，以窗口最新要求为准。",
            f"完整告知单（可打印）：{url}",
        ]
        fixed = "\n".join(tail)
        if _fits(fixed):
            break
    # 受理条件 and 办理流程 fill the room left; the page always has them in full.
    extra = [
        "二、受理条件：" + "；".join(s["accept_condition"] or ["办事指南未列出"]),
        "办理流程：" + "；".join(s["process"] or ["办事指南未列出"]),
    ]
    lines: list[str] = []
    for text in extra:
        room = WECHAT_TEXT_LIMIT - len("\n".join([*lines, fixed]).encode("utf-8")) - 1
        if room >= 120:
            lines.append(_cut(text, room))
    second = "\n".join([*lines, fixed])
    if not _fits(second):
        second = _cut(second[: -len(url)], WECHAT_TEXT_LIMIT - len(url.encode()) - 1) + "\n" + url
    return [first, second]


# ====================================================================== change notices


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
        selected = _select(names, cases, situation, conditions)
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
    return "\n".join([head, _cut(body, room), foot])


def changes_for_notices(
    session: Session,
    since_sync_id: int | None,
    today: date,
    *,
    public_url: str | None = None,
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
            current[notice.task_code] = _current_version(session, notice.task_code)
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
        text = _change_text(notice, lines, new, notice_url(notice.number, public_url))
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


def pending_changes(
    session: Session, openid: str | None = None, ids: Iterable[int] | None = None
) -> list[NoticeChange]:
    """Change messages recorded but not yet delivered (one citizen's, some, or everyone's)."""
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


# ====================================================================== the conversation
#
# What the Rasa action calls: it passes the message, the NLU's intent and the slots, and sends
# back the messages and the new state. The item is resolved by the guide, with its
# clarification (``pending_intent`` = request_notice), so a numbered pick continues here.

REQUEST_INTENT = "request_notice"
ASK_INTENT_PREFIX = "ask_"  # a new question about an item ends the interview
# Replies that only answer (or fail to answer) the pending question; any other intent is the
# citizen moving on to something else.
ANSWER_INTENTS = frozenset(
    {"affirm", "deny", "choose_option", "nlu_fallback", "out_of_scope", REQUEST_INTENT}
)
_CANCEL = re.compile(r"算了|取消|不办了|不开了|不要了|退出|不用开")
_NUMBER = re.compile(r"^[A-Z]{1,8}20[0-9]{2}[0-9]{6}$")

WHICH_ITEM = "请问您要开具哪个事项的一次性告知单？请说出事项名称，例如“二手房过户的告知单”。"
CANCELLED = "好的，已为您取消本次告知单。如需开具，随时说“告知单”并告诉我事项名称即可。"
LEFT = "好的，本次告知单先不开了，需要时说“告知单”即可重新开具。"
NOT_UNDERSTOOD = "抱歉，没有理解您的回答。"
NO_NOTICES = (
    "您还没有开具过一次性告知单。说“我要办二手房过户，给我个清单”这样的话，"
    "我会问您几个问题，然后开具一份告知单。"
)
NOT_FOUND_NUMBER = "没有找到编号为 {number} 的告知单，请核对编号后再试。"


@dataclass
class Interview:
    """What the conversation remembers of a notice being prepared (Rasa slots)."""

    pending: bool = False  # an item pick or an answer to a question is awaited
    situation: str | None = None
    conditions: dict[str, bool | None] = field(default_factory=dict)


@dataclass
class NoticeReply:
    messages: list[str]
    guide: DialogueState
    interview: Interview
    # clarify / asked / issued / refused / not_understood / cancelled / left / not_found
    outcome: str
    notice: str | None = None  # the number issued


def is_notice_number(text: str) -> bool:
    """Whether a message is only a notice number ("BS2026000123", "bs 2026 000123")."""
    return bool(_NUMBER.match(normalize_number(text)))


class NoticeDesk:
    """Prepares notices in chat: resolves the item through ``guide``, asks, issues."""

    def __init__(self, guide: Guide, *, public_url: str | None = None) -> None:
        self.guide = guide
        self.public_url = public_url or guide.settings.public_url

    def request(
        self,
        text: str,
        state: DialogueState,
        entity: str | None,
        openid: str | None,
        today: date | None = None,
    ) -> NoticeReply:
        """ "我要办二手房过户，给我个清单": resolve the item (asking back if needed), then start."""
        # A new request drops any list offered for an earlier question.
        fresh = DialogueState(item_code=state.item_code)
        reply = self.guide.handle(text, REQUEST_INTENT, fresh, entity, today)
        return self._after_guide(reply, openid, today or date.today())

    def reply(
        self,
        text: str,
        intent: str,
        state: DialogueState,
        interview: Interview,
        openid: str | None,
        today: date | None = None,
    ) -> NoticeReply:
        """The citizen's next message while a pick or an answer is awaited."""
        today = today or date.today()
        if _CANCEL.search(normalize_message(text)):
            return NoticeReply(
                [CANCELLED], DialogueState(state.item_code), Interview(), "cancelled"
            )
        if state.candidates and state.pending_intent == REQUEST_INTENT:
            reply = self.guide.handle(text, intent, state, None, today)
            if reply.outcome == "answered":  # a new question instead of a pick
                return NoticeReply([LEFT, *reply.messages], reply.state, Interview(), "left")
            return self._after_guide(reply, openid, today)
        if not interview.pending or not state.item_code:
            return self._leave(text, intent, state)
        with session_scope(self.guide.engine) as session:
            item = get_item(session, state.item_code)
            if item is None:
                return NoticeReply([WHICH_ITEM], DialogueState(), Interview(), "not_found")
            question = next_question(item, interview.situation, interview.conditions)
            answer = parse_answer(question, text) if question else None
        if question is not None and answer is None:
            if intent in ANSWER_INTENTS:
                return NoticeReply(
                    [NOT_UNDERSTOOD + question.text], state, interview, "not_understood"
                )
            return self._leave(text, intent, state)
        if question is not None and answer is not None:
            interview = _answered(interview, question, answer)
        return self._next(state.item_code, interview, openid, today)

    # ------------------------------------------------------------------ steps

    def _after_guide(self, reply: GuideReply, openid: str | None, today: date) -> NoticeReply:
        if reply.outcome == "resolved" and reply.state.item_code:
            return self._next(reply.state.item_code, Interview(), openid, today)
        if reply.outcome in ("clarify", "invalid_choice"):
            return NoticeReply(reply.messages, reply.state, Interview(pending=True), "clarify")
        if reply.outcome == "not_found":
            return NoticeReply([WHICH_ITEM], reply.state, Interview(), "not_found")
        return NoticeReply(reply.messages, reply.state, Interview(), "refused")

    def _next(
        self, code: str, interview: Interview, openid: str | None, today: date
    ) -> NoticeReply:
        state = DialogueState(item_code=code)
        with session_scope(self.guide.engine) as session:
            item = get_item(session, code)
            if item is None:
                return NoticeReply([WHICH_ITEM], DialogueState(), Interview(), "not_found")
            question = next_question(item, interview.situation, interview.conditions)
            if question is not None:
                asking = Interview(True, interview.situation, dict(interview.conditions))
                lead = (
                    [] if interview.pending else [f"好的，为您开具【{item.name}】的一次性告知单。"]
                )
                text = "\n".join([*lead, question.text])
                return NoticeReply([text], state, asking, "asked")
            try:
                notice = issue_notice(
                    session, item, interview.situation, interview.conditions, openid, today
                )
            except CannotIssue as refusal:
                return NoticeReply([str(refusal)], state, Interview(), "refused")
            messages = notice_text(notice, self.public_url)
            return NoticeReply(messages, state, Interview(), "issued", notice.number)

    def _leave(self, text: str, intent: str, state: DialogueState) -> NoticeReply:
        """The citizen moved on: end the interview; a question about an item is answered."""
        if intent.startswith(ASK_INTENT_PREFIX):
            reply = self.guide.handle(text, intent, DialogueState(state.item_code))
            return NoticeReply([LEFT, *reply.messages], reply.state, Interview(), "left")
        return NoticeReply([LEFT], DialogueState(state.item_code), Interview(), "left")

    # ------------------------------------------------------------------ my notices

    def my_notices(self, text: str, openid: str) -> list[str]:
        """ "我的告知单" → the list; a number typed alone → that notice."""
        with session_scope(self.guide.engine) as session:
            if is_notice_number(text):
                notice = get_notice(session, text)
                if notice is None:
                    return [NOT_FOUND_NUMBER.format(number=normalize_number(text))]
                return notice_text(notice, self.public_url)
            return [notices_list_text(list_notices(session, openid), self.public_url)]


def _answered(interview: Interview, question: Question, answer: Answer) -> Interview:
    if question.kind == SITUATION:
        return Interview(True, str(answer.value), {})
    conditions = dict(interview.conditions)
    conditions[question.key] = answer.value if isinstance(answer.value, bool) else None
    return Interview(True, interview.situation, conditions)


def notices_list_text(notices: Sequence[Notice], public_url: str | None = None) -> str:
    """ "我的告知单": newest first, each with its number, date and link."""
    if not notices:
        return NO_NOTICES
    lines = [f"您共有{len(notices)}份一次性告知单（回复编号可查看全文）："]
    for n, notice in enumerate(notices[:10], 1):
        item = notice.snapshot.get("item", {})
        situation = f"（{item['situation']}）" if item.get("situation") else ""
        lines.append(
            f"{n}. {notice.number} {item.get('name', '')}{situation}，"
            f"{date_text(notice.issued_on.isoformat())}开具\n   {notice_url(notice.number, public_url)}"
        )
    if len(notices) > 10:
        lines.append(f"另有{len(notices) - 10}份较早的告知单，可回复编号查看。")
    text = "\n".join(lines)
    return text if _fits(text) else _cut(text, WECHAT_TEXT_LIMIT)
