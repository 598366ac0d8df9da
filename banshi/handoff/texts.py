"""What citizens read about 转人工."""

from __future__ import annotations

from datetime import date


def waiting(minutes: int) -> str:
    return (
        "正在为您转接人工服务，请稍候。接通前您可以先把问题发过来，工作人员会看到。"
        f"如{minutes}分钟内未能接通，我们会为您登记咨询，由工作人员稍后答复。"
        "不需要人工服务了请回复“取消人工”。"
    )


STILL_WAITING = "正在为您转接人工服务，请稍候。"
CANCELLED = "好的，已取消转人工，您可以继续向我提问。"
ENDED = "本次人工服务已结束，之后的消息将由智能助手为您解答；需要时可再次回复“转人工”。"
ENDED_BY_CITIZEN = "好的，本次人工服务已结束，您可以继续向我提问。"
STAFF_PREFIX = "【人工服务】"


def _due(due_on: date | None) -> str:
    if due_on is None:
        return "工作人员会尽快答复您"
    return f"工作人员会在{due_on.year}年{due_on.month}月{due_on.day}日前答复您"


def after_hours(hours: str, number: str, due_on: date | None) -> str:
    return (
        f"现在不是人工服务时间（{hours}）。已为您登记咨询，工单编号：{number}，"
        f"{_due(due_on)}，答复会通过本公众号发给您。您也可以继续向我提问。"
    )


def timed_out(number: str, due_on: date | None) -> str:
    return (
        f"抱歉，工作人员暂时都在忙，未能及时接通。已将您的问题登记为咨询，工单编号：{number}，"
        f"{_due(due_on)}。您可以继续向我提问。"
    )
