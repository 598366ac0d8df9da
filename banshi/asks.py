"""What a citizen can ask about an item: the domain's own words for the guide's aspects.

The NLU has an intent per aspect (``ask_materials`` …); the Rasa actions map those intents to
:class:`Ask`, so nothing below the actions knows an intent name.
"""

from __future__ import annotations

from enum import Enum


class Ask(str, Enum):
    """One aspect of an item's 办事指南."""

    MATERIALS = "materials"  # 申请材料
    CONDITIONS = "conditions"  # 受理条件 (also: can I apply? who qualifies?)
    PROCESS = "process"  # 办理流程
    TIME_LIMIT = "time_limit"  # 办结时限
    FEES = "fees"  # 收费
    PLACE_HOURS = "place_hours"  # 办理地点和时间
    LEGAL_BASIS = "legal_basis"  # 设定依据
    ONLINE = "online"  # 网上办理
    TRIPS = "trips"  # 到现场次数
    CONTACT = "contact"  # 咨询 / 投诉电话
    OVERVIEW = "overview"  # what it is, in one card

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Ask.MATERIALS: "所需材料",
    Ask.CONDITIONS: "办理条件",
    Ask.PROCESS: "办理流程",
    Ask.TIME_LIMIT: "办理时限",
    Ask.FEES: "收费标准",
    Ask.PLACE_HOURS: "办理地点和时间",
    Ask.LEGAL_BASIS: "设定依据",
    Ask.ONLINE: "网上办理",
    Ask.TRIPS: "跑几次",
    Ask.CONTACT: "咨询电话",
    Ask.OVERVIEW: "事项概况",
}
