"""Everything a citizen reads about appointments (预约), in one place.

Written as a careful hall clerk would say it: complete, polite, short. Personal data appears
only masked (张*, 138****8000, 110***********002X).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from banshi.bookings.models import Booking
from banshi.bookings.people import IdProblem, NameProblem
from banshi.bookings.policy import BookingPolicy, Source
from banshi.bookings.rules import SpanUnit
from banshi.bookings.slots import DaySlots, NoSlots, Slot
from banshi.bookings.states import Refusal
from banshi.models import Hall, Item, Material, Window
from banshi.text import WECHAT_TEXT_LIMIT, truncate

WEEKDAYS = "一二三四五六日"
MAX_MATERIALS = 5  # materials named in a confirmation; more → the 告知单 line says where to look

# ------------------------------------------------------------------ dates and places


def day_text(day: date, today: date | None = None) -> str:
    """12月8日（周二）; the year is added when it is not this year's."""
    year = f"{day.year}年" if today is None or day.year != today.year else ""
    return f"{year}{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def slot_text(slot: Slot) -> str:
    return slot.text()


def place_text(hall: Hall, window: Window | None) -> str:
    where = hall.name + (f"（{hall.address}）" if hall.address else "")
    if window is not None:
        label = f"{window.window_no}窗口" + (f"（{window.name}）" if window.name else "")
        where += label
    return where


# ------------------------------------------------------------------ starting


WHICH_ITEM = "请问您要预约办理哪个事项？请说出事项名称，例如“预约身份证换领”。"
LEFT_BOOKING = "好的，本次预约先不办了，已填写的信息已删除。需要时说“预约”即可。"
LEFT_CHANGE = "好的，您的预约保持不变。"
NO_HALL = "抱歉，暂时查不到【{item}】的办理大厅，无法预约。请拨打 12345 政务服务便民热线咨询。"


def starting(item: Item) -> str:
    return f"好的，为您预约办理【{item.name}】。"


def which_hall(item: Item, halls: Sequence[tuple[Hall, Window | None]]) -> str:
    lines = [f"【{item.name}】可以在以下大厅办理，请问您想去哪一个？"]
    lines += [f"{n}. {hall.name}（{hall.address}）" for n, (hall, _) in enumerate(halls, 1)]
    lines.append("请回复序号。")
    return "\n".join(lines)


def not_a_hall(count: int) -> str:
    return f"抱歉，没有看懂您选的大厅，请回复 1 到 {count} 之间的序号。"


# ------------------------------------------------------------------ days and slots


def _span_text(policy: BookingPolicy) -> str:
    return policy.horizon.value.text()


def no_slots_text(
    reason: NoSlots, item: Item, hall: Hall, day: date, policy: BookingPolicy, today: date
) -> str:
    """Why ``day`` offers nothing, in a sentence."""
    when = day_text(day, today)
    if reason is NoSlots.NOT_BOOKABLE:
        ruled = policy.bookable.source is Source.RULE_TEXT
        extra = f"（{policy.bookable.basis}）" if ruled and policy.bookable.basis else ""
        return f"【{item.name}】暂不支持网上预约{extra}，可在办公时间直接到大厅取号办理。"
    if reason is NoSlots.ITEM_SUSPENDED:
        return f"【{item.name}】目前暂停办理，暂时不能预约，恢复办理后即可预约。"
    if reason is NoSlots.ITEM_CANCELLED:
        return f"【{item.name}】已取消，不再受理，无法预约。"
    if reason is NoSlots.PAST:
        return f"{when}已经过去了，请换一个日期。"
    if reason is NoSlots.UNKNOWN_YEAR:
        return f"{day.year}年的节假日安排尚未公布，暂时还不能预约{when}，请换一个日期或稍后再约。"
    if reason is NoSlots.BEFORE_LEAD_TIME:
        lead = policy.lead.value
        if lead.n == 0:
            return f"{when}的时段已过或即将开始，请换一个日期。"
        unit = "个工作日" if lead.unit is SpanUnit.WORKING_DAYS else "天"
        return f"【{item.name}】需至少提前{lead.n}{unit}预约，{when}已不能预约。"
    if reason is NoSlots.BEYOND_HORIZON:
        return f"【{item.name}】只能预约{_span_text(policy)}内的时段，{when}暂时还不能预约。"
    if reason is NoSlots.HOLIDAY:
        return f"{when}是法定节假日，{hall.name}不开放。"
    if reason is NoSlots.WEEKEND:
        return f"{when}是休息日，{hall.name}当天不办理此项预约。"
    if reason is NoSlots.CLOSED:
        return f"{hall.name}{when}不开放。"
    return f"{when}的预约名额已经约满了。"


def days_offer(days: Sequence[DaySlots], today: date) -> str:
    """The nearest days with places, numbered."""
    if not days:
        return "近期的预约名额都已约满，建议您稍后再试，或在办公时间直接到大厅取号办理。"
    lines = ["以下日期还有名额："]
    for n, d in enumerate(days, 1):
        lines.append(f"{n}. {day_text(d.day, today)} 余{sum(s.left for s in d.free)}个")
    lines.append("请回复序号，或直接告诉我日期（如“下周一上午”）。")
    return "\n".join(lines)


def ask_day(item: Item, hall: Hall, days: Sequence[DaySlots], today: date) -> str:
    return f"请问您想约哪一天去{hall.name}办理【{item.name}】？\n" + days_offer(days, today)


def slots_offer(day: DaySlots, slots: Sequence[Slot], hall: Hall, today: date) -> str:
    lines = [f"{day_text(day.day, today)} {hall.name} 可约时段："]
    lines += [f"{n}. {s.text()}（余{s.left}个）" for n, s in enumerate(slots, 1)]
    lines.append("请回复序号选择时段。")
    return "\n".join(lines)


NO_HALF_DAY = "{when}{half}没有可约的时段了，当天其他时段如下。"
NOT_A_DAY = "抱歉，没有看懂您说的日期。请回复序号，或说“明天”“下周一”“12月10日”这样的日期。"


def not_a_slot(count: int) -> str:
    return f"抱歉，没有看懂您选的时段，请回复 1 到 {count} 之间的序号，或说“上午10点”这样的时间。"


# ------------------------------------------------------------------ the person


def slot_chosen(slot: Slot, today: date) -> str:
    return f"好的，{day_text(slot.day, today)} {slot.text()}。"


def ask_name(first: bool, parties: int) -> str:
    lead = "好的，" if first else ""
    both = "（另一方的信息稍后填写）" if parties == 2 else ""
    return f"{lead}请告诉我办理人的姓名（须与身份证上一致）{both}。"


ASK_MOBILE = "请提供办理人的手机号码（11位），用于接收预约提醒。"
ASK_ID = "请提供办理人的居民身份证号码（18位）。我们会加密保存，仅用于核验和预约。"
ASK_COMPANION_NAME = "此事项须双方共同到场办理。请告诉我另一方的姓名（须与身份证上一致）。"
ASK_COMPANION_ID = "请提供另一方的居民身份证号码（18位）。"
SAME_PERSON = "另一方的身份证号码与办理人相同，请提供另一方本人的身份证号码。"

NAME_PROBLEMS = {
    NameProblem.EMPTY: "没有收到姓名。",
    NameProblem.NOT_A_NAME: "这看起来不像姓名，请只回复姓名，例如“张三”。",
    NameProblem.TOO_SHORT: "姓名至少两个字，请回复完整姓名。",
}
BAD_MOBILE = "手机号码应为11位数字、以1开头，例如 13800138000，请重新输入。"
ID_PROBLEMS = {
    IdProblem.LENGTH: "身份证号码应为18位（最后一位可能是X），请重新输入。",
    IdProblem.CHECK_DIGIT: "这个身份证号码的校验位或出生日期不对，可能有一位输错了，请核对后重新输入。",
}


def summary(
    item: Item,
    hall: Hall,
    window: Window | None,
    slot: Slot,
    masked: Sequence[str],
    companion: str,
    today: date,
) -> str:
    lines = [
        "请核对预约信息：",
        f"事项：{item.name}",
        f"地点：{place_text(hall, window)}",
        f"时间：{day_text(slot.day, today)} {slot.text()}",
        f"办理人：{' '.join(masked)}",
    ]
    if companion:
        lines.append(f"另一方：{companion}")
    lines.append("信息无误请回复“确认”；要改时间请直接说日期，要重填个人信息请回复“重填”。")
    return "\n".join(lines)


NOT_CONFIRMED = "请回复“确认”提交预约，或回复“算了”放弃本次预约。"
CHANGE_TIME = "好的，请告诉我新的日期（如“下周一上午”），或回复“重填”修改个人信息。"


# ------------------------------------------------------------------ a booking made


def arrival_text(policy: BookingPolicy) -> str:
    before = policy.arrive_before_minutes.value
    late = policy.late_minutes.value
    first = f"请于预约时段开始前{before}分钟到窗口取号" if before else "请在预约时段内到窗口取号"
    rule = "，未按时到场的预约自动作废" if late == 0 else f"，迟到超过{late}分钟预约自动失效"
    return first + rule + "。"


def materials_text(item: Item) -> str:
    always = [m for m in item.materials if not m.handle_case and m.need != "非必要"]
    names = [_material_name(m) for m in always[:MAX_MATERIALS]]
    more = len(always) > MAX_MATERIALS or len(always) < len(item.materials)
    notice = "回复“告知单”可开具一次性告知单，列明您的情形所需的全部材料。"
    if not names:
        return notice
    return "请携带：" + "；".join(names) + "。" + (notice if more else "")


def _material_name(m: Material) -> str:
    name = truncate(" ".join(m.name.split()), 90)
    return f"{name}（{m.material_type}）" if m.material_type else name


def booked(
    booking: Booking,
    item: Item,
    hall: Hall,
    window: Window | None,
    policy: BookingPolicy,
    today: date,
) -> str:
    rule = policy.no_show.value
    lines = [
        "预约成功！",
        f"预约编号：{booking.number}",
        f"事项：{item.name}",
        f"时间：{day_text(booking.day, today)} {booking.start}-{booking.end}",
        f"地点：{place_text(hall, window)}",
        arrival_text(policy),
        materials_text(item),
        f"如需取消或改约，请在预约时段开始{_hours(policy.cancel_before_minutes.value)}前回复"
        "“取消预约”或“改约”。"
        f"{rule.window_days}日内爽约{rule.limit}次将暂停预约{rule.ban_days}天。",
    ]
    return truncate("\n".join(lines), WECHAT_TEXT_LIMIT)


def _hours(minutes: int) -> str:
    return f"{minutes // 60}小时" if minutes % 60 == 0 else f"{minutes}分钟"


def refused(refusal: Refusal, *, until: date | None = None, held: str | None = None) -> str:
    """A confirmation the booking rules did not allow."""
    if refusal is Refusal.ALREADY_BOOKED_DAY:
        number = f"（预约编号 {held}）" if held else ""
        return f"该身份证号码当天已有预约{number}，每人每天限约1次。如需换时间，请回复“改约”。"
    if refusal is Refusal.ALREADY_BOOKED_ITEM:
        number = f"（预约编号 {held}）" if held else ""
        return f"该身份证号码已预约此事项{number}，办理前不能重复预约。如需换时间，请回复“改约”。"
    if refusal is Refusal.BANNED and until is not None:
        return (
            "由于近期多次预约后未到场，该身份证号码的预约资格暂停至"
            f"{until.year}年{until.month}月{until.day}日（不含当天）。期间可在办公时间到大厅现场取号办理。"
        )
    if refusal is Refusal.SLOT_FULL:
        return "抱歉，这个时段刚刚约满了。"
    return "抱歉，这个时段现在不能预约了。"


# ------------------------------------------------------------------ my bookings, cancel, move


NO_BOOKINGS = "您目前没有待办理的预约。需要预约时，说“预约”加事项名称即可，例如“预约身份证换领”。"


def booking_line(booking: Booking, today: date) -> str:
    return (
        f"{booking.number} {booking.item_name}，{day_text(booking.day, today)} "
        f"{booking.start}-{booking.end}"
    )


def my_bookings(bookings: Sequence[Booking], halls: dict[str, Hall], today: date) -> str:
    if not bookings:
        return NO_BOOKINGS
    lines = [f"您有{len(bookings)}个待办理的预约："]
    for n, b in enumerate(bookings, 1):
        hall = halls.get(b.hall_code)
        where = f"\n   {hall.name}{f' {b.window_no}窗口' if b.window_no else ''}" if hall else ""
        lines.append(f"{n}. {booking_line(b, today)}{where}")
    lines.append("如需取消或改约，请回复“取消预约”或“改约”。")
    return truncate("\n".join(lines), WECHAT_TEXT_LIMIT)


def which_booking(bookings: Sequence[Booking], cancelling: bool, today: date) -> str:
    action = "取消" if cancelling else "改约"
    lines = [f"您有{len(bookings)}个待办理的预约，请问要{action}哪一个？"]
    lines += [f"{n}. {booking_line(b, today)}" for n, b in enumerate(bookings, 1)]
    lines.append("请回复序号。")
    return "\n".join(lines)


def not_a_booking(count: int) -> str:
    return f"抱歉，没有看懂您选的是哪个预约，请回复 1 到 {count} 之间的序号。"


def confirm_cancel(booking: Booking, today: date) -> str:
    return (
        f"确认取消以下预约吗？\n{booking_line(booking, today)}\n"
        "确认取消请回复“是”，保留预约请回复“否”。"
    )


YES_OR_NO_CANCEL = "请回复“是”取消预约，或回复“否”保留预约。"


def cancelled(booking: Booking, today: date) -> str:
    return (
        f"已为您取消预约（编号 {booking.number}）：{booking.item_name}，"
        f"{day_text(booking.day, today)} {booking.start}-{booking.end}。需要时可以重新预约。"
    )


def ask_new_day(booking: Booking, today: date) -> str:
    return (
        f"您的预约（编号 {booking.number}）现在是{day_text(booking.day, today)} "
        f"{booking.start}-{booking.end}。请问要改到哪一天？可以说“下周四上午”这样的日期。"
    )


def moved(booking: Booking, today: date) -> str:
    return (
        f"已为您改约（编号 {booking.number} 不变）：{booking.item_name}，改到"
        f"{day_text(booking.day, today)} {booking.start}-{booking.end}。到场时间要求不变。"
    )


def change_refused(refusal: Refusal, booking: Booking | None, policy: BookingPolicy | None) -> str:
    if refusal is Refusal.TOO_LATE and policy is not None:
        return (
            f"距预约时段开始已不足{_hours(policy.cancel_before_minutes.value)}，无法在线取消或改约。"
            "如不能按时到场，请致电大厅说明。"
        )
    if refusal is Refusal.RESCHEDULE_LIMIT and policy is not None:
        return f"每个预约最多改约{policy.max_reschedules.value}次，这个预约不能再改了。如需其他时间，可以先取消再重新预约。"
    if refusal is Refusal.SAME_SLOT:
        return "新时段与原预约相同，预约保持不变。"
    if refusal is Refusal.NOT_ACTIVE:
        return "这个预约已经取消或办理过了。"
    return "没有找到这个预约，请回复“我的预约”查看。"


# ------------------------------------------------------------------ reminders and changes


def reminder(booking: Booking, hall: Hall | None, today: date) -> str:
    window = f" {booking.window_no}窗口" if booking.window_no else ""
    where = f"，地点：{hall.name}{window}" if hall else ""
    return (
        f"温馨提醒：您预约了明天 {day_text(booking.day, today)}{booking.start}-{booking.end} "
        f"办理【{booking.item_name}】{where}，预约编号 {booking.number}。"
        "请携带身份证件按时到场；如不能前往，请回复“取消预约”。"
    )


def disruption(booking: Booking, kind: str, today: date) -> str:
    """A catalog or hall change that affects an upcoming booking (``kind``: Disruption value)."""
    what = f"您预约的【{booking.item_name}】（编号 {booking.number}，{day_text(booking.day, today)} {booking.start}-{booking.end}）"
    if kind == "item_cancelled":
        return f"{what}：该事项已取消，不再受理，本次预约无法办理。给您带来不便，敬请谅解。"
    if kind == "item_suspended":
        return f"{what}：该事项目前暂停办理，预约当天可能无法办理。建议回复“取消预约”，或致电大厅确认。"
    if kind == "hall_closed":
        return f"{what}：大厅当天不开放。请回复“改约”换一个时间，给您带来不便，敬请谅解。"
    return f"{what}：大厅当天的办公时间有调整，您的预约时段不在开放时间内。请回复“改约”换一个时间。"
