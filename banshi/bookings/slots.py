"""Bookable slots of an item at a hall on a day, with places left, or why the day has none.

How the daily quota spreads over slots:

1. A day's slots come from the hall's opening periods that day (weekly hours, the holiday
   rule, the working calendar and staff exceptions: :mod:`banshi.calendar.halls`). Slots of
   ``slot_minutes`` follow each other from the start of each period and never cross a break
   (no slot at 12:00-13:30); a remainder of at least half a slot becomes a shorter last slot,
   a smaller one is dropped. With half-day slots (slot_minutes 0, "上午、下午两个时段")
   each period is one slot, and a period across noon is cut at 12:00.
2. The day's quota is the daily quota (SCHEDULE_NUM) on a full day. A shorter day (周六上午
   延时服务, shortened hours) gets the same share of it as its opening minutes are of the
   hall's longest day, rounded down; a weekend day gets ``weekend_share`` of that when the
   rule says 周六、周日预约名额有限. A day open at all keeps at least one place.
3. The day's quota is shared among its slots in proportion to their length by the largest
   remainder method: each slot gets the whole part of its share, and the places left over go
   one each to the slots with the largest fractions, earlier slots first on ties. The slot
   capacities add up to the day's quota exactly; a slot with no place is not offered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from banshi.bookings.config import BookingConfig
from banshi.bookings.models import BookingSlot
from banshi.bookings.policy import BookingPolicy, policy_for
from banshi.bookings.rules import DayScope, Span, SpanUnit
from banshi.calendar import Closure, DayKind, DayOpening, HallHours, UnknownYear, WorkCalendar
from banshi.calendar.halls import Period, full_day_minutes
from banshi.models import STATE_CANCELLED, STATE_SUSPENDED, Hall, Item, Window

NOON = time(12, 0)


class NoSlots(Enum):
    """Why a day offers no slot."""

    NOT_BOOKABLE = "not_bookable"  # 该事项不支持（或暂未开放）预约
    ITEM_SUSPENDED = "item_suspended"  # 事项暂停办理
    ITEM_CANCELLED = "item_cancelled"  # 事项已取消
    PAST = "past"  # 日期已过
    UNKNOWN_YEAR = "unknown_year"  # 该年节假日安排尚未公布
    BEFORE_LEAD_TIME = "before_lead_time"  # 需提前预约，当天或次日已不能约
    BEYOND_HORIZON = "beyond_horizon"  # 超出可预约的天数
    HOLIDAY = "holiday"  # 法定节假日不开放
    WEEKEND = "weekend"  # 周末不开放或不放号
    CLOSED = "closed"  # 大厅当天闭厅或不开放
    FULL = "full"  # 当天已约满


@dataclass(frozen=True)
class Slot:
    day: date
    start: time
    end: time
    capacity: int
    booked: int

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.booked)

    @property
    def key(self) -> str:
        """``09:00``: a slot is named by its start within a day."""
        return f"{self.start:%H:%M}"

    def text(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.day, self.start)


@dataclass(frozen=True)
class DaySlots:
    """A day's slots for an item at a hall, or the reason there are none."""

    day: date
    slots: tuple[Slot, ...]
    reason: NoSlots | None
    opening: DayOpening | None = None

    @property
    def free(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.left > 0)

    @property
    def has_places(self) -> bool:
        return bool(self.free)

    def slot(self, start: str) -> Slot | None:
        return next((s for s in self.slots if s.key == start), None)


def spread(quota: int, lengths: list[int]) -> list[int]:
    """Share ``quota`` places among slots of ``lengths`` minutes (largest remainder method)."""
    total = sum(lengths)
    if not lengths or total <= 0 or quota <= 0:
        return [0] * len(lengths)
    shares = [quota * m / total for m in lengths]
    places = [int(s) for s in shares]
    order = sorted(range(len(lengths)), key=lambda i: (-(shares[i] - places[i]), i))
    for i in order[: quota - sum(places)]:
        places[i] += 1
    return places


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def slot_periods(periods: Iterable[Period], slot_minutes: int) -> list[Period]:
    """Cut opening periods into slots (see the module docstring)."""
    out: list[Period] = []
    for period in periods:
        start, end = _minutes(period.start), _minutes(period.end)
        if slot_minutes <= 0:
            noon = _minutes(NOON)
            if start < noon < end:
                out += [Period(period.start, NOON), Period(NOON, period.end)]
            else:
                out.append(period)
            continue
        at = start
        while at + slot_minutes <= end:
            out.append(Period(_time(at), _time(at + slot_minutes)))
            at += slot_minutes
        if end - at >= slot_minutes / 2:
            out.append(Period(_time(at), period.end))
    return out


def day_quota(policy: BookingPolicy, opening: DayOpening, hall: Hall) -> int:
    """The places of a day (see the module docstring, step 2)."""
    quota = policy.daily_quota.value
    full = full_day_minutes(hall)
    if full > 0 and opening.minutes < full:
        quota = quota * opening.minutes // full
    if opening.kind in (DayKind.REST_DAY, DayKind.HOLIDAY):
        quota = int(quota * policy.weekend_share.value)
    return max(1, quota) if opening.is_open else 0


def plan_day(policy: BookingPolicy, opening: DayOpening, hall: Hall) -> list[tuple[Period, int]]:
    """The day's slots and their capacities, before any booking."""
    periods = slot_periods(opening.periods, policy.slot_minutes.value)
    capacities = spread(day_quota(policy, opening, hall), [p.minutes for p in periods])
    return [(p, c) for p, c in zip(periods, capacities, strict=True) if c > 0]


def item_refusal(item: Item, policy: BookingPolicy) -> NoSlots | None:
    """Why an item cannot be booked at all, or None."""
    if item.state == STATE_CANCELLED:
        return NoSlots.ITEM_CANCELLED
    if item.state == STATE_SUSPENDED:
        return NoSlots.ITEM_SUSPENDED
    return None if policy.bookable.value else NoSlots.NOT_BOOKABLE


_ITEM = select(Item).where(Item.task_code == bindparam("task_code"))


def find_item(session: Session, task_code: str) -> Item | None:
    """The item alone (its materials and the rest load only if asked for): the hot path."""
    return session.execute(_ITEM, {"task_code": task_code}).scalar_one_or_none()


_HALL = select(Hall).where(Hall.code == bindparam("code")).options(joinedload(Hall.windows))


def hall_for(session: Session, item: Item, hall_code: str) -> tuple[Hall, Window | None] | None:
    """Hall ``hall_code`` and its window for ``item``, or None when the hall does not handle it."""
    hall = session.execute(_HALL, {"code": hall_code}).unique().scalar_one_or_none()
    if hall is None:
        return None
    window = next((w for w in hall.windows if item.task_code in (w.task_codes or [])), None)
    if window is None and not (item.center_name and hall.name == item.center_name):
        return None
    return hall, window


def halls_for(session: Session, item: Item) -> list[tuple[Hall, Window | None]]:
    """The halls that handle ``item`` (a window lists it), its CENTER_NAME hall first."""
    halls = list(
        session.execute(select(Hall).options(selectinload(Hall.windows)).order_by(Hall.code))
        .scalars()
        .unique()
    )
    found: list[tuple[Hall, Window | None]] = []
    for hall in halls:
        window = next((w for w in hall.windows if item.task_code in (w.task_codes or [])), None)
        if window is not None or (item.center_name and hall.name == item.center_name):
            found.append((hall, window))
    found.sort(key=lambda hw: (hw[0].name != item.center_name, hw[0].code))
    return found


class SlotBoard:
    """Answers "which slots are free" for one transaction (calendar and exceptions cached)."""

    def __init__(
        self, session: Session, config: BookingConfig, calendar: WorkCalendar | None = None
    ) -> None:
        self.session = session
        self.config = config
        self.calendar = calendar or WorkCalendar(session)
        self.hours = HallHours(session, self.calendar)

    # ------------------------------------------------------------------ the booking window

    def _sunday(self, today: date) -> date:
        return today + timedelta(days=6 - today.weekday())

    def _count(self, span: Span, today: date, day: date) -> int:
        """How far ``day`` is from ``today`` in the span's unit (raises UnknownYear)."""
        if span.unit is SpanUnit.WORKING_DAYS:
            return self.calendar.working_days_between(today, day)
        return (day - today).days

    def beyond_horizon(self, policy: BookingPolicy, today: date, day: date) -> bool:
        horizon = policy.horizon.value
        if horizon.unit is SpanUnit.WEEK:
            return day > self._sunday(today)
        if horizon.unit is SpanUnit.DAYS or (day - today).days > 3 * horizon.n + 14:
            return (day - today).days > horizon.n
        return self._count(horizon, today, day) > horizon.n

    def before_lead(self, policy: BookingPolicy, today: date, day: date) -> bool:
        lead = policy.lead.value
        if lead.unit is SpanUnit.WEEK:
            return False
        return self._count(lead, today, day) < lead.n

    def last_day(self, policy: BookingPolicy, today: date) -> date:
        """The furthest day worth looking at (the horizon's end, or a bound on it)."""
        horizon = policy.horizon.value
        if horizon.unit is SpanUnit.WEEK:
            return self._sunday(today)
        if horizon.unit is SpanUnit.DAYS:
            return today + timedelta(days=horizon.n)
        return today + timedelta(days=2 * horizon.n + 14)  # 国庆: 7 days off within 2 weeks

    # ------------------------------------------------------------------ days

    def policy(self, item: Item, hall: Hall) -> BookingPolicy:
        return policy_for(self.session, item, hall.code, self.config)

    def _counters(
        self, item: Item, hall: Hall, start: date, end: date
    ) -> dict[tuple[date, str], int]:
        rows = self.session.execute(
            select(BookingSlot.day, BookingSlot.start, BookingSlot.booked).where(
                BookingSlot.task_code == item.task_code,
                BookingSlot.hall_code == hall.code,
                BookingSlot.day >= start,
                BookingSlot.day <= end,
            )
        )
        return {(day, start_): int(booked) for day, start_, booked in rows}

    def span(
        self,
        item: Item,
        hall: Hall,
        start: date,
        end: date,
        now: datetime,
        policy: BookingPolicy | None = None,
        *,
        counted: bool = True,
    ) -> list[DaySlots]:
        """Every day from ``start`` to ``end`` (inclusive), read with two queries.

        ``counted=False`` leaves the slot counters unread (every slot shows no place taken):
        enough to tell whether a start is offered at all, which is all confirming needs,
        since taking the place checks the counter itself.
        """
        policy = policy or self.policy(item, hall)
        self.hours.load(hall.code, start, end)
        counters = self._counters(item, hall, start, end) if counted else {}
        days = []
        day = start
        while day <= end:
            days.append(self._day(item, hall, day, now, policy, counters))
            day += timedelta(days=1)
        return days

    def day(
        self,
        item: Item,
        hall: Hall,
        day: date,
        now: datetime,
        policy: BookingPolicy | None = None,
        *,
        counted: bool = True,
    ) -> DaySlots:
        return self.span(item, hall, day, day, now, policy, counted=counted)[0]

    def _day(
        self,
        item: Item,
        hall: Hall,
        day: date,
        now: datetime,
        policy: BookingPolicy,
        counters: dict[tuple[date, str], int],
    ) -> DaySlots:
        refusal = item_refusal(item, policy)
        if refusal is not None:
            return DaySlots(day, (), refusal)
        today = now.date()
        if day < today:
            return DaySlots(day, (), NoSlots.PAST)
        try:
            if self.beyond_horizon(policy, today, day):
                return DaySlots(day, (), NoSlots.BEYOND_HORIZON)
            if self.before_lead(policy, today, day):
                return DaySlots(day, (), NoSlots.BEFORE_LEAD_TIME)
            opening = self.hours.on(hall, day)
        except UnknownYear:
            return DaySlots(day, (), NoSlots.UNKNOWN_YEAR)
        if not opening.is_open:
            reason = {
                Closure.HOLIDAY: NoSlots.HOLIDAY,
                Closure.REST_DAY: NoSlots.WEEKEND,
            }.get(opening.closure or Closure.CLOSED, NoSlots.CLOSED)
            return DaySlots(day, (), reason, opening)
        working = opening.kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)
        if policy.day_scope.value is DayScope.WORKING_DAYS and not working:
            reason = NoSlots.HOLIDAY if opening.kind is DayKind.HOLIDAY else NoSlots.WEEKEND
            return DaySlots(day, (), reason, opening)
        earliest = now + timedelta(minutes=self.config.same_day_notice_minutes)
        slots = tuple(
            Slot(
                day,
                period.start,
                period.end,
                capacity,
                counters.get((day, f"{period.start:%H:%M}"), 0),
            )
            for period, capacity in plan_day(policy, opening, hall)
            if datetime.combine(day, period.start) >= earliest
        )
        if not slots:
            return DaySlots(day, (), NoSlots.BEFORE_LEAD_TIME, opening)
        if not any(s.left for s in slots):
            return DaySlots(day, slots, NoSlots.FULL, opening)
        return DaySlots(day, slots, None, opening)

    def nearest(
        self,
        item: Item,
        hall: Hall,
        around: date,
        now: datetime,
        policy: BookingPolicy | None = None,
        count: int | None = None,
    ) -> list[DaySlots]:
        """The days with places closest to ``around`` (in date order), within the horizon."""
        policy = policy or self.policy(item, hall)
        today = now.date()
        days = [
            d
            for d in self.span(item, hall, today, self.last_day(policy, today), now, policy)
            if d.has_places and d.day != around
        ]
        days.sort(key=lambda d: (abs((d.day - around).days), d.day))
        return sorted(days[: count or self.config.nearest_days], key=lambda d: d.day)
