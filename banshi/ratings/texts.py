"""What citizens read about 好差评: the invitation, the questions, thanks and the follow-up."""

from __future__ import annotations

from datetime import date

from banshi.ratings.levels import INDICATOR_MENU, MENU

INVITE_TITLE = "服务评价邀请"
LEVEL_MENU = "、".join(f"{n} {level.label}" for n, level in enumerate(MENU, 1))
ASPECT_MENU = "、".join(f"{n} {i.label}" for n, i in enumerate(INDICATOR_MENU, 1))

ASK_LEVEL = f"请您对本次服务作出评价，回复序号或文字：{LEVEL_MENU}。不想评价请回复“不评价”。"
NOT_UNDERSTOOD = "抱歉，没有看明白您的评价。"
ASK_GOOD_ASPECTS = f"感谢您的评价！您对哪些方面比较满意？可回复多个序号，如“1 4”：{ASPECT_MENU}。不想选请回复“跳过”。"
ASK_BAD_ASPECTS = f"很抱歉给您带来不好的体验。您对哪些方面不满意？可回复多个序号，如“1 4”：{ASPECT_MENU}。不想选请回复“跳过”。"
ASK_GOOD_COMMENT = "还有什么想对我们说的吗？直接回复即可；没有请回复“没有”。"
ASK_BAD_COMMENT = "请说说具体哪里让您不满意，我们会逐条核实整改；不想说请回复“没有”。"
DECLINED = "好的，不打扰您了。如有需要，随时告诉我。"
NOTHING_TO_RATE = (
    "目前没有需要您评价的服务。工单办结、人工服务结束或预约办事签到后，我们会邀请您评价。"
)
ALREADY_RATED = "这项服务您已经评价过了，感谢您的支持！"
THANKS = "感谢您的评价，我们会继续努力！"


def invitation(what: str) -> str:
    """The invitation sent when a service ends (``what``: e.g. "工单 GD202612070001 已办结")."""
    return f"{what}。{ASK_LEVEL}"


def bad_thanks(due_on: date | None) -> str:
    """The end of a 差评: what happens next and by when."""
    when = (
        f"，并在{due_on.year}年{due_on.month}月{due_on.day}日前把核实和整改情况反馈给您"
        if due_on
        else "，并尽快把核实和整改情况反馈给您"
    )
    return f"感谢您的评价。我们已转相关部门核实整改{when}。"


def feedback(service_label: str, note: str) -> str:
    """What was done about the citizen's 差评 (the follow-up's last step)."""
    return f"关于您对{service_label}的评价，核实整改情况如下：\n{note}\n感谢您的监督！"
