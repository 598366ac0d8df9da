"""Reading the citizen's short answers at the ticket desk: yes / no, 匿名, 好了, enough content.

Negative forms are tested first: "不需要" contains "需要", "不对" contains "对".
"""

from __future__ import annotations

import re

from banshi.conversation import Gist, Message

_PUNCT = re.compile(r"[\s，,。.!！?？~～、；;：:“”\"'（）()…]+")
# The request itself is not content: "我要投诉" says nothing yet; "我要投诉车管所…" does.
_LEAD = re.compile(
    r"^(?:你好|您好)?(?:我|本人)?(?:要|想|想要|需要|得)?"
    r"(?:投诉|举报|检举|建议|表扬|咨询|求助|反映|反馈|留言|提(?:个|一个|点)?(?:建议|意见))"
    r"(?:一下|下|个事|件事|一件事)?"
)
MIN_CONTENT = 4  # characters of substance after the request words

_NO = re.compile(r"^(?:不需要|不用|不要|不必|不了|没有|没|无|否|不是|不)")
_YES = re.compile(r"^(?:需要|要|是|是的|对|好|好的|可以|行|嗯|确认|确定|没问题|ok|OK|yes)")
_EDIT = re.compile(r"修改|改一下|改下|要改|不对|重新|重写|重填")
_CONFIRM = re.compile(r"^(?:确认|提交|确认提交|确定|是的|是|对|对的|没问题|可以|好|好的|行|嗯)")
_NOT_ANON = re.compile(r"实名|不匿名|不用匿名|不要匿名|不需要匿名")
_ANON = re.compile(r"匿名")
_PHOTOS_DONE = re.compile(r"好了|发完|完了|就这些|就这|没有|没了|不用|不发|跳过|无|没照片|不需要")
_NONE_OF_THEM = re.compile(r"都不是|都不对|不是这些|没有我说的|以上都不是|不是")
IMAGE_PLACEHOLDER = "[图片]"  # what the channel may pass as the text of an image message


def plain(text: str) -> str:
    return _PUNCT.sub("", text)


def substantive(text: str) -> bool:
    """Whether the message says something beyond the request ("我要投诉" alone does not)."""
    return len(plain(_LEAD.sub("", plain(text)))) >= MIN_CONTENT


def yes_no(message: Message) -> bool | None:
    """True / False for a yes or a no (words first, then the NLU's gist), None otherwise."""
    said = plain(message.text)
    if _NO.match(said):
        return False
    if _YES.match(said):
        return True
    if message.gist is Gist.YES:
        return True
    if message.gist is Gist.NO:
        return False
    return None


def confirm_or_edit(message: Message) -> bool | None:
    """True to file, False to change something, None when it is neither."""
    said = plain(message.text)
    if _EDIT.search(said) or message.gist is Gist.NO:
        return False
    if _CONFIRM.match(said) or message.gist is Gist.YES:
        return True
    return None


def anonymous_choice(message: Message) -> bool | None:
    """True for 匿名, False for 实名; a bare yes / no answers "是否匿名举报"."""
    said = plain(message.text)
    if _NOT_ANON.search(said):
        return False
    if _ANON.search(said):
        return True
    return yes_no(message)


def photos_done(message: Message) -> bool:
    said = plain(message.text)
    return bool(_PHOTOS_DONE.search(said)) or message.gist in (Gist.YES, Gist.NO)


def is_image(message: Message) -> bool:
    return message.text.strip() in ("", IMAGE_PLACEHOLDER)


def none_of_them(message: Message) -> bool:
    return bool(_NONE_OF_THEM.match(plain(message.text))) or message.gist is Gist.NO


def elsewhere(message: Message) -> bool:
    """A question or another task: not an answer to the desk, but someone else's turn."""
    return message.gist in (Gist.QUESTION, Gist.TASK)
