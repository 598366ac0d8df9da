"""Whose business a request is: the halls', or someone else's.

**Complaints and suggestions.** Tickets go to the halls' staff and the departments behind the
catalog. A complaint about a
shop's goods, a late takeaway, a lost parcel, a landlord or the neighbours is nobody's there:
a ticket would wait its deadline out and be sent back. The citizen is better served at once,
told plainly that it is not ours and which line takes it — 12315 (市场监管's consumer
complaints) for goods and services bought, the 12345 hotline for the rest.

A message that names the public side as well (the window, the staff, a department, a
procedure) stays a ticket: "办执照时中介乱收费，窗口还推给中介" is the hall's business.

**Bookings.** The halls book their items' windows. A hospital's specialist, a train, a table
or a show is booked elsewhere: "帮我挂个专家号" is out of scope, not the start of a booking that
asks which item.
"""

from __future__ import annotations

import re
from enum import Enum


class Referral(str, Enum):
    """The line that takes what is not a public service's business."""

    CONSUMER = "consumer"  # 12315: goods and services bought
    HOTLINE = "hotline"  # 12345: property management, neighbours, the rest

    @property
    def text(self) -> str:
        return _TEXTS[self]


_TEXTS = {
    Referral.CONSUMER: (
        "商品质量、网购、外卖、快递等消费纠纷，可拨打 12315 消费者投诉举报热线，"
        "或在全国12315平台（www.12315.cn）反映；也可拨打 12345 政务服务便民热线。"
    ),
    Referral.HOTLINE: "物业、邻里、噪音等诉求，可拨打 12345 政务服务便民热线反映。",
}

# Something bought: a seller, a platform, a delivery, what was wrong with it.
_CONSUMER = re.compile(
    r"商家|店家|卖家|商店|网店|店铺|那家店|这家店|网购|淘宝|淘寶|京东|拼多多|抖音|直播间"
    r"|外卖|骑手|送餐|快递|快遞|物流|驿站|超市|商场|饭店|餐馆|餐厅|饭馆|酒店|宾馆|健身房"
    r"|理发店|美容|培训机构|4S店|售后|退货|退款|假货|假貨|过期食品|过期商品|过期药|质量问题|质量有问题|话费|话費"
    r"|充值|运营商|会员卡|预付卡|押金不退"
)
# Someone beside the citizen's home.
_PRIVATE = re.compile(r"物业|房东|邻居|楼上|楼下|隔壁|对门|小区|装修|噪音|太吵")
# The public side: the hall, its people, a department, a procedure.
_PUBLIC = re.compile(
    r"[^\s，,。]{1,6}(?:局|委员会|厅)|(?:派出|车管|管理|税务|司法)所|(?:政务|服务|管理)中心"
    r"|城管|交警|居委会|社区|街道|工资|欠薪|劳动|窗口|大厅|政务|政府|部门|办事|工作人员|办证|审批|受理|派出所|街道办|公安|民政|人社|社保"
    r"|医保|公积金|税务|不动产|登记|预约|取号|排队|事项|材料|证明|执照|许可|热线|公众号"
)


# A dispute: what makes an out-of-scope message worth a line to call (附近哪家饭店好吃 is not).
_DISPUTE = re.compile(
    r"投诉|投訴|举报|反映|告状|维权|纠纷|赔|退货|退款|不退|不给换|假货|假貨|质量问题|质量有问题"
    r"|过期食品|乱收费|太吵|噪音|扰民|不管"
)


def dispute_referral(text: str) -> Referral | None:
    """The line for an out-of-scope message that is a dispute with a private party (商家不退货,
    外卖送晚了能让商家赔吗); None for one that only names a shop (附近哪家饭店好吃)."""
    return referral_for(text) if _DISPUTE.search(text) else None


def referral_for(text: str) -> Referral | None:
    """The line for a complaint or suggestion about a private party only (None: it names the
    public side, or no one: a ticket)."""
    if _PUBLIC.search(text):
        return None
    if _CONSUMER.search(text):
        return Referral.CONSUMER
    if _PRIVATE.search(text):
        return Referral.HOTLINE
    return None


# Booked elsewhere: a doctor, a journey, a table, a room, a show.
_BOOKED_ELSEWHERE = re.compile(
    r"医院|挂号|专家号|门诊|看病|看医生|体检|牙科|车票|机票|高铁|火车票|动车票|船票|电影|演出"
    r"|演唱会|门票|景区|餐厅|饭店|酒店|宾馆|民宿|包间|打车|叫车|理发|美甲|健身"
)


def booked_elsewhere(text: str) -> bool:
    """Whether a booking asked for is of something the halls do not book (a specialist, a
    train ticket, a table)."""
    return bool(_BOOKED_ELSEWHERE.search(text))
