"""The booking policy of an item at a hall, each value with where it comes from.

Precedence, lowest first: the defaults (:class:`BookingConfig`), the catalog's fields
(IS_SCHEDULE, SCHEDULE_NUM), what the item's SCHEDULE_RULE text states
(:mod:`banshi.bookings.rules`), a staff override for the item at every hall, a staff override
for the item at this hall. SCHEDULE_NUM outranks a quota in the rule text: it is the field
the platform validates; a disagreement is kept in the value's ``basis`` for staff to see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from banshi.bookings.config import BookingConfig
from banshi.bookings.models import BookingPolicyOverride
from banshi.bookings.rules import HALF_DAY, DayScope, NoShowRule, Span, SpanUnit, read_rule
from banshi.models import Item

T = TypeVar("T")


class Source(Enum):
    DEFAULT = "default"  # 系统默认
    CATALOG_FIELD = "catalog_field"  # 事项目录字段
    RULE_TEXT = "rule_text"  # 预约规则说明
    STAFF_OVERRIDE = "staff_override"  # 工作人员设置


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A policy value and why it applies (the rule's words, the field, or who set it)."""

    value: T
    source: Source
    basis: str = ""


@dataclass(frozen=True)
class BookingPolicy:
    bookable: Sourced[bool]
    daily_quota: Sourced[int]
    slot_minutes: Sourced[int]  # 0: two slots a day, 上午 and 下午
    day_scope: Sourced[DayScope]
    weekend_share: Sourced[float]
    lead: Sourced[Span]
    horizon: Sourced[Span]
    cancel_before_minutes: Sourced[int]
    late_minutes: Sourced[int]
    arrive_before_minutes: Sourced[int]
    max_reschedules: Sourced[int]
    one_per_person_per_day: Sourced[bool]
    one_open_per_item: Sourced[bool]
    parties: Sourced[int]
    no_show: Sourced[NoShowRule]

    @property
    def half_days(self) -> bool:
        return self.slot_minutes.value == HALF_DAY

    def as_json(self) -> dict[str, Any]:
        """Every value with its source, for the console and ``banshi bookings policy``."""
        out: dict[str, Any] = {}
        for f in fields(self):
            item: Sourced[Any] = getattr(self, f.name)
            value = item.value
            if isinstance(value, Span | NoShowRule):
                value = value.as_json()
            elif isinstance(value, Enum):
                value = value.value
            out[f.name] = {"value": value, "source": item.source.value, "basis": item.basis}
        return out


def _coerce(name: str, raw: Any) -> Any:
    """A stored or staff-given value as the field's type; ValueError names what is wrong."""
    try:
        if name in ("bookable", "one_per_person_per_day", "one_open_per_item"):
            if not isinstance(raw, bool):
                raise ValueError("应为 true 或 false")
            return raw
        if name == "weekend_share":
            share = float(raw)
            if not 0 < share <= 1:
                raise ValueError("应在 0 到 1 之间")
            return share
        if name == "day_scope":
            return DayScope(raw)
        if name in ("lead", "horizon"):
            span = Span(int(raw["n"]), SpanUnit(raw["unit"]))
            if span.n < 0 or (name == "horizon" and span.n == 0 and span.unit is not SpanUnit.WEEK):
                raise ValueError("天数不合理")
            return span
        if name == "no_show":
            rule = NoShowRule(int(raw["limit"]), int(raw["window_days"]), int(raw["ban_days"]))
            if min(rule.limit, rule.window_days, rule.ban_days) < 1:
                raise ValueError("次数和天数都应至少为 1")
            return rule
        number = int(raw)
        if isinstance(raw, bool) or number < 0 or (name == "parties" and number not in (1, 2)):
            raise ValueError("数值不合理")
        if name == "daily_quota" and number < 1:
            raise ValueError("每天可预约量至少为 1")
        return number
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"预约设置“{name}”的值 {raw!r} 无效：{exc}") from exc


POLICY_FIELDS = tuple(f.name for f in fields(BookingPolicy))


def default_policy(config: BookingConfig) -> BookingPolicy:
    d = Source.DEFAULT
    return BookingPolicy(
        bookable=Sourced(False, d, "事项未标明支持预约"),
        daily_quota=Sourced(config.daily_quota, d),
        slot_minutes=Sourced(config.slot_minutes, d),
        day_scope=Sourced(DayScope.HALL_DAYS, d),
        weekend_share=Sourced(1.0, d),
        lead=Sourced(Span(config.lead_days, SpanUnit.DAYS), d),
        horizon=Sourced(Span(config.horizon_working_days, SpanUnit.WORKING_DAYS), d),
        cancel_before_minutes=Sourced(config.cancel_before_minutes, d),
        late_minutes=Sourced(config.late_minutes, d),
        arrive_before_minutes=Sourced(config.arrive_before_minutes, d),
        max_reschedules=Sourced(config.max_reschedules, d),
        one_per_person_per_day=Sourced(config.one_per_person_per_day, d),
        one_open_per_item=Sourced(config.one_open_per_item, d),
        parties=Sourced(1, d),
        no_show=Sourced(
            NoShowRule(config.no_show_limit, config.no_show_window_days, config.no_show_ban_days), d
        ),
    )


def _from_catalog(policy: BookingPolicy, item: Item, config: BookingConfig) -> BookingPolicy:
    changes: dict[str, Sourced[Any]] = {}
    field_ = Source.CATALOG_FIELD
    if item.is_schedule == "1":
        changes["bookable"] = Sourced(True, field_, "IS_SCHEDULE=1")
    elif item.is_schedule == "0":
        changes["bookable"] = Sourced(False, field_, "IS_SCHEDULE=0")
    facts = read_rule(item.schedule_rule or "")
    quota = item.schedule_num or 0
    if quota > 0:
        basis = f"SCHEDULE_NUM={quota}"
        stated = facts.get("daily_quota")
        if stated is not None and stated != quota:
            basis += f"（预约规则写“{facts.phrases['daily_quota']}”）"
        changes["daily_quota"] = Sourced(quota, field_, basis)
    rule = Source.RULE_TEXT
    for name, value in facts.values.items():
        phrase = facts.phrases[name]
        if name == "daily_quota" and quota > 0:
            continue
        if name == "bookable" and not value:
            changes[name] = Sourced(False, rule, phrase)  # staff open it with an override
        elif name == "weekend_limited":
            changes["weekend_share"] = Sourced(
                config.limited_weekend_share,
                rule,
                f"{phrase}（按平日的{config.limited_weekend_share:.0%}放号）",
            )
        elif name == "no_show":
            default = policy.no_show.value
            merged = NoShowRule(
                value.get("limit", default.limit),
                value.get("window_days", default.window_days),
                value.get("ban_days", default.ban_days),
            )
            note = "" if "ban_days" in value else f"（暂停天数按默认{default.ban_days}天）"
            changes["no_show"] = Sourced(merged, rule, phrase + note)
        elif name in POLICY_FIELDS:
            changes[name] = Sourced(value, rule, phrase)
    return replace(policy, **changes)


def _apply_overrides(policy: BookingPolicy, rows: list[BookingPolicyOverride]) -> BookingPolicy:
    changes: dict[str, Sourced[Any]] = {}
    # every-hall overrides ("") first, so a hall's own override wins
    for row in sorted(rows, key=lambda r: r.hall_code != ""):
        if row.field not in POLICY_FIELDS:
            continue
        who = f"{row.set_by or '工作人员'} {row.set_at:%Y-%m-%d}"
        basis = f"{who}：{row.note}" if row.note else who
        changes[row.field] = Sourced(_coerce(row.field, row.value), Source.STAFF_OVERRIDE, basis)
    return replace(policy, **changes)


def overrides_at(hall_code: str | BindParameter[str] | None) -> Any:
    """The overrides that apply at hall ``hall_code`` (None: at every hall), as a condition;
    the hall may be a parameter left open in a statement built once."""
    halls = [""] if hall_code is None else ["", hall_code]
    return BookingPolicyOverride.hall_code.in_(halls)


def policy_of(
    item: Item, overrides: Iterable[BookingPolicyOverride], config: BookingConfig
) -> BookingPolicy:
    """The policy of ``item`` given its override rows (read with :func:`overrides_at`)."""
    policy = _from_catalog(default_policy(config), item, config)
    rows = list(overrides)
    return _apply_overrides(policy, rows) if rows else policy


def policy_for(
    session: Session, item: Item, hall_code: str | None, config: BookingConfig
) -> BookingPolicy:
    """The policy of ``item`` at hall ``hall_code`` (None: the item's policy at every hall)."""
    rows = session.execute(
        select(BookingPolicyOverride).where(
            BookingPolicyOverride.task_code == item.task_code, overrides_at(hall_code)
        )
    ).scalars()
    return policy_of(item, rows, config)


def set_override(
    session: Session,
    task_code: str,
    name: str,
    value: Any,
    *,
    hall_code: str = "",
    note: str = "",
    set_by: str = "",
    now: datetime | None = None,
) -> BookingPolicyOverride:
    """Staff set one policy value of an item (for one hall, or every hall with ``""``)."""
    if name not in POLICY_FIELDS:
        raise ValueError(f"没有名为“{name}”的预约设置（可用：{'、'.join(POLICY_FIELDS)}）")
    coerced = _coerce(name, value)
    stored = coerced.as_json() if isinstance(coerced, Span | NoShowRule) else value
    if isinstance(coerced, Enum):
        stored = coerced.value
    row = session.execute(
        select(BookingPolicyOverride).where(
            BookingPolicyOverride.task_code == task_code,
            BookingPolicyOverride.hall_code == hall_code,
            BookingPolicyOverride.field == name,
        )
    ).scalar_one_or_none()
    if row is None:
        row = BookingPolicyOverride(task_code=task_code, hall_code=hall_code, field=name)
        session.add(row)
    row.value, row.note, row.set_by = stored, note, set_by
    row.set_at = (now or datetime.now()).replace(microsecond=0)
    session.flush()
    return row


def clear_override(session: Session, task_code: str, name: str, *, hall_code: str = "") -> bool:
    """Remove a staff override; the catalog's or the default value applies again."""
    result = session.execute(
        delete(BookingPolicyOverride).where(
            BookingPolicyOverride.task_code == task_code,
            BookingPolicyOverride.hall_code == hall_code,
            BookingPolicyOverride.field == name,
        )
    )
    return bool(result.rowcount)
