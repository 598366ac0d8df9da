"""Booking settings with their defaults: what applies when neither the catalog nor staff say.

The defaults follow common hall practice (NOTES.md): book from the next day up to 7 working
days out, hourly slots, cancel at least 2 hours ahead, one booking per person per day, and
3 no-shows within 30 days suspend booking for 30 days (the phrasing of 示范市政务服务中心's
own rule, "30日内爽约3次暂停预约资格"). The integrator builds one from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BookingConfig:
    number_prefix: str = "YY"  # 预约编号 YY + 发放日期 + 4位序号: YY202612070001
    daily_quota: int = 40  # 每天可预约量, when SCHEDULE_NUM is missing or 0
    slot_minutes: int = 60  # 时段长度
    lead_days: int = 1  # 最早可约：次日
    horizon_working_days: int = 7  # 最远可约：7个工作日内
    same_day_notice_minutes: int = 60  # with a lead of 0: a slot today must start this much later
    cancel_before_minutes: int = 120  # 取消、改约须在时段开始前2小时
    late_minutes: int = 30  # 迟到超过30分钟预约失效
    arrive_before_minutes: int = 0  # 提前到场取号（规则另有规定时从其规定）
    max_reschedules: int = 2  # 每个预约最多改约次数
    one_per_person_per_day: bool = True  # 同一身份证号每天限约1次
    one_open_per_item: bool = True  # 同一身份证号同一事项只能有1个未办理的预约
    no_show_limit: int = 3  # 爽约次数
    no_show_window_days: int = 30  # 在多少天内
    no_show_ban_days: int = 30  # 暂停预约资格的天数
    limited_weekend_share: float = 0.5  # "周六、周日预约名额有限": 周末按平日名额的比例放号
    draft_ttl_hours: int = 24  # an abandoned draft's personal answers are deleted after this
    nearest_days: int = 3  # how many other days with places to suggest
