"""What citizens read about tickets: the desk's questions, the summary, status and replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from banshi.tickets.kinds import TicketKind

REPLY_TITLE = "工单答复通知"
SUMMARY_CHARS = 200  # of the content in a read-back or status message
REPLY_CHARS = 300  # of each reply in the status message (the page has them whole)
# A pushed reply: 500 characters (≤ 1,500 bytes) leave room for the heading and the link
# inside the ~2,000 bytes WeChat takes (NOTES.md).
PUSH_REPLY_CHARS = 500

# ---------------------------------------------------------------- the desk's questions

ASK_CONTENT = {
    TicketKind.CONSULT: "请您说说想咨询的问题，尽量写清楚涉及的事项和您的情况。",
    TicketKind.HELP: "请您说说遇到了什么困难、需要什么帮助，以及涉及的事项或地点。",
    TicketKind.COMPLAINT: (
        "请您说说投诉的具体情况：什么时间、在哪个大厅或窗口、办什么事项、发生了什么。"
    ),
    TicketKind.REPORT: "请您说说举报的具体情况：什么时间、什么地点、涉及哪个单位或事项、发生了什么。",
    TicketKind.SUGGESTION: "请您说说您的建议，涉及哪个事项或大厅、希望怎样改进。",
    TicketKind.PRAISE: "请您说说要表扬的大厅、窗口或工作人员，以及让您满意的地方。",
}
CONTENT_TOO_SHORT = "内容有点少，工作人员可能看不明白。"
ASK_ITEM_SUFFIX = "如果都不是，请回复“都不是”。"
ASK_ANONYMOUS = (
    "举报可以匿名。请问是否匿名举报？回复“匿名”或“实名”。"
    "匿名举报不留联系方式，处理结果仍会通过本公众号告诉您。"
)
ASK_PHOTOS = "如有照片，可以现在发送（最多{max}张），发完后回复“好了”；没有照片请回复“没有”。"
PHOTOS_RECEIVED = "已收到{count}张照片，还有的话请继续发送，发完后回复“好了”。"
ASK_PHONE = (
    "需要工作人员打电话联系您吗？需要的话请回复您的手机号码；"
    "不需要请回复“不需要”，答复会通过本公众号发给您。"
)
PHONE_INVALID = "这个号码好像不是11位手机号码，请再核对一下；不需要电话联系请回复“不需要”。"
PHONE_PLEASE = "好的，请直接回复您的11位手机号码。"
CONFIRM_HINT = "确认提交请回复“确认”；需要修改请回复“修改”。"
EDIT = "好的，请直接发送修改后的内容；不提交了请回复“算了”。"
NOT_UNDERSTOOD = "抱歉，没有看明白您的回复。"
ASK_OFFER = (
    "这个问题我暂时没能答上来。需要的话，我可以帮您登记为咨询，由工作人员答复您。"
    "需要请回复“好的”，不需要请回复“不用”。"
)
OFFER_DECLINED = "好的。您可以换个说法再问我，也可以拨打 12345 政务服务便民热线咨询。"

START_LINE = {
    TicketKind.CONSULT: "好的，帮您登记咨询。",
    TicketKind.HELP: "好的，帮您登记求助。",
    TicketKind.COMPLAINT: "好的，帮您登记投诉。",
    TicketKind.REPORT: "好的，帮您登记举报。",
    TicketKind.SUGGESTION: "好的，帮您登记建议。",
    TicketKind.PRAISE: "好的，帮您登记表扬。",
}


def left(kind: TicketKind) -> str:
    return f"好的，这条{kind.label}先不提交了。需要时随时告诉我。"


def summary(
    kind: TicketKind,
    concerned: str,
    content: str,
    photos: int,
    phone: str,
    anonymous: bool,
) -> str:
    """The read-back before filing (content already masked)."""
    lines = ["请核对您要提交的内容：", f"类型：{kind.label}"]
    if concerned:
        lines.append(f"涉及：{concerned}")
    lines.append(f"内容：{cut(content, SUMMARY_CHARS)}")
    if photos:
        lines.append(f"照片：{photos}张")
    if kind is TicketKind.REPORT:
        lines.append(f"方式：{'匿名' if anonymous else '实名'}")
    if phone:
        lines.append(f"联系电话：{phone}")
    lines.append(CONFIRM_HINT)
    return "\n".join(lines)


def date_text(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def filed(number: str, kind: TicketKind, due_on: date | None, phone: str) -> str:
    """The confirmation: number, by when they will hear back, and how."""
    if kind is TicketKind.PRAISE:
        head = f"感谢您的表扬！已为您登记，工单编号：{number}，我们会转达给相关单位和工作人员。"
    else:
        head = f"已为您登记{kind.label}，工单编号：{number}。"
    if due_on is not None:
        when = f"我们将在{date_text(due_on)}前答复您，答复会通过本公众号发送"
    else:
        when = "因节假日安排尚未公布，答复期限暂未确定，我们会尽快答复您，答复会通过本公众号发送"
    call = f"；工作人员也会致电{phone}与您联系" if phone else ""
    return f"{head}\n{when}{call}。回复“我的工单”可随时查看进度。"


def cut(text: str, limit: int) -> str:
    """Long free text shortened for a chat message (WeChat takes about 2,000 bytes)."""
    return text if len(text) <= limit else f"{text[:limit]}……（共{len(text)}字）"


# ---------------------------------------------------------------- status and replies


def reply_message(number: str, kind: TicketKind, dept: str, body: str) -> str:
    """The chat message announcing a reply; a long one is cut (the page has it whole)."""
    by = f"（{dept}）" if dept else ""
    return f"您的{kind.label}工单 {number} 有了答复{by}：\n{cut(body, PUSH_REPLY_CHARS)}"


NO_TICKETS = "您还没有提交过工单。需要投诉、建议或咨询时，直接告诉我即可，例如“我要投诉……”。"
NOT_FOUND = "没有找到编号为 {number} 的工单，请核对编号；回复“我的工单”可查看您提交过的工单。"
LIST_HEAD = "您共有{count}条工单（回复编号可查看详情）："
LIST_MORE = "另有{count}条较早的工单，可回复编号查看。"


def progress(state_label: str, dept: str) -> str:
    """How a state reads to the citizen."""
    return {
        "受理": "已受理，正在分派",
        "转办": f"已转{dept or '承办单位'}办理",
        "办理": f"{dept or '承办单位'}正在办理",
        "答复": "已答复",
        "回访": "已答复，已回访",
        "评价": "已答复，已评价",
        "办结": "已办结",
        "合并": "已与您的另一条工单合并办理",
    }[state_label]


def list_line(n: int, number: str, kind: TicketKind, status: str, filed_on: date) -> str:
    return f"{n}. {number} {kind.label}，{filed_on.month}月{filed_on.day}日提交，{status}"


def detail(
    number: str,
    kind: TicketKind,
    status: str,
    concerned: str,
    content: str,
    due_on: date | None,
    awaiting: bool,
    replies: Sequence[tuple[date, str, str]],
    merged_into: str | None,
) -> str:
    lines = [f"工单 {number}（{kind.label}）", f"进度：{status}"]
    if merged_into:
        lines.append(f"合并到：{merged_into}")
    if concerned:
        lines.append(f"涉及：{concerned}")
    lines.append(f"内容：{cut(content, SUMMARY_CHARS)}")
    if awaiting:
        lines.append(f"答复期限：{date_text(due_on)}前" if due_on else "答复期限：待定")
    if replies:
        for when, dept, body in replies:
            by = f" {dept}" if dept else ""
            lines.append(f"答复（{when.month}月{when.day}日{by}）：{cut(body, REPLY_CHARS)}")
    else:
        lines.append("暂无答复，请耐心等待。")
    return "\n".join(lines)
