"""Everything the survey desk says to a citizen, in one place."""

from __future__ import annotations

from datetime import date

NO_SURVEY = "目前没有正在进行的问卷。感谢您愿意提意见！如遇到具体问题，也可以直接留言告诉我们。"
CHOOSE_SURVEY = "目前有以下问卷，请回复序号选择："
CHOOSE_LINE = "{n}. 《{title}》（{closes}截止）"
CHOOSE_UNREAD = "请回复问卷前的序号，例如“1”。"
ALREADY_DONE = "您已经填写过《{title}》，每人填写一次即可，感谢您的参与！"
INTRO = "《{title}》\n{intro}"
INTRO_HOW = "共{count}题左右，约需{minutes}分钟。中途回复“算了”可先暂停，下次接着填。"
RESUME = "欢迎回来！《{title}》您已填了{done}题，我们接着来。想从头填写，请回复“重新开始”。"
RESTARTED = "好的，已清空您之前的回答，从第1题重新开始。"
CLOSED = "《{title}》已于{date}截止，感谢您的关心！您已填写的内容我们都收到了。"
THANKS = "问卷已填完，衷心感谢您！您的意见会交给相关部门研究改进，" "整改情况我们会在这里告诉您。"
LEFT = "好的，问卷先停在这里，已填的内容都已保存。下次回复“参加调查”就能接着填。"
LEFT_CHOOSE = "好的，需要时回复“参加调查”即可。"
MASKED_NOTE = "（您的回答中含有电话或证件号码，已自动隐去，请放心。）"

QUESTION_HEAD = "第{n}题：{text}"
OPTION_LINE = "{n}. {label}"
HINT_SINGLE = "请回复序号，例如“1”。"
HINT_MULTIPLE = "可多选，最多{most}项，请回复序号，例如“1 3”。"
HINT_RATING = "请打1到5分，5分为最满意。"
HINT_RANKING = "请按先后顺序回复至多{most}个序号，第一个排在最前，例如“2 1 4”。"
HINT_TEXT = "请直接输入您的想法，不必填写姓名、电话等个人信息。"
HINT_OPTIONAL = "（本题选填，不想回答可回复“跳过”。）"
ASK_OTHER = "请简单说说“其他”具体是什么："

# reasons an answer is asked again
OUT_OF_RANGE = "没有第{number}项，请回复1到{count}之间的序号。"
ONLY_ONE = "这道题只能选一项，请回复一个序号。"
TOO_MANY = "这道题最多选{most}项，请重新选择。"
RANK_TWICE = "同一项不能排两次，请重新排序。"
NOT_SKIPPABLE = "这道题需要作答，麻烦您选一下。"
CHOICE_UNREAD = "没能对上选项，请回复选项前的序号。"
RATING_UNREAD = "请回复1到5之间的一个数字，5分为最满意。"
RATING_RANGE = "评分是1到5分，请回复1到5之间的数字。"
RATING_WHOLE = "请打整数分，1到5分。"
TEXT_TOO_SHORT = "内容有点少，请用一两句话说说您的想法。"
TEXT_TOO_LONG = "内容有点长，请精简到{limit}字以内再发给我。"

INVITATION = (
    "您好！我们正在开展《{title}》（{closes}截止），想听听您办事时遇到的不便，"
    "约需{minutes}分钟。回复“参加调查”即可开始。"
)
# A template message (outside the 48-hour window) carries short fields (WeChat: at most 20
# characters each) and no reply button: it says what to reply.
INVITATION_TEMPLATE_NOTE = "约需{minutes}分钟，回复“参加调查”开始"


def date_text(day: date, today: date | None = None) -> str:
    """12月31日, or 2027年1月31日 when the year is not ``today``'s."""
    if today is not None and day.year != today.year:
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.month}月{day.day}日"
