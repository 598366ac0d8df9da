"""Which free-text answers staff should read before anything is published.

A flagged answer is still stored and counted (the trouble it describes is real), but it is
never quoted in results, on a public page or in an export for the public. Two kinds:
abusive words, and sensitive content (threats, self-harm, calls to gather) that a person
should see soon. The list is short and our own; staff review what it catches, so a word
that also has innocent uses (炸 in 炸鸡) is left out rather than guessed at.
"""

from __future__ import annotations

import re
from enum import Enum

from sqlalchemy import update
from sqlalchemy.orm import Session

from banshi.surveys.models import SurveyAnswer
from banshi.text import normalize_message


class Flag(str, Enum):
    ABUSIVE = "abusive"  # 辱骂
    SENSITIVE = "sensitive"  # 威胁、自伤、聚集等，需尽快人工查看

    @property
    def label(self) -> str:
        return "辱骂" if self is Flag.ABUSIVE else "敏感"


ABUSIVE_WORDS = frozenset(
    """傻逼 傻b 煞笔 沙比 草泥马 操你 艹你 日你 他妈的 妈的 狗官 狗东西 王八蛋 混蛋 滚蛋 去死 废物 人渣 畜生 贱人 蠢货 脑残 白痴 猪脑子 垃圾东西""".split()
)
SENSITIVE_WORDS = frozenset(
    """自杀 跳楼 轻生 不想活 同归于尽 炸了你们 炸掉 放火 烧了 砍人 杀了 弄死 报复社会
    上访 集体上访 静坐 游行 示威 拉横幅 围堵 闹事""".split()
)
# Latin abbreviations count only as whole words: "sb" is abuse, "usb" is not.
_ABUSIVE_LATIN = re.compile(r"(?<![a-z])(?:sb|tmd|nmsl|cnm)(?![a-z])")
# Separators people put inside a word to get it past a filter: 傻 逼, 傻*逼, 傻-逼.
_FILLER = re.compile(r"[\s*_\-.。，,·~!！?？]+")


def flag_of(text: str) -> Flag | None:
    """The flag for ``text``: SENSITIVE wins over ABUSIVE; None when it can be quoted."""
    plain = _FILLER.sub("", normalize_message(text).lower())
    if any(word in plain for word in SENSITIVE_WORDS):
        return Flag.SENSITIVE
    if any(word in plain for word in ABUSIVE_WORDS) or _ABUSIVE_LATIN.search(plain):
        return Flag.ABUSIVE
    return None


def clear_flag(session: Session, answer_id: int) -> bool:
    """Staff read a flagged answer and found nothing wrong: it may be quoted from now on.

    Returns False when the answer does not exist or was not flagged. Who cleared it is the
    caller's audit entry, not a column: the answer keeps no trace of staff.
    """
    result = session.execute(
        update(SurveyAnswer)
        .where(SurveyAnswer.id == answer_id, SurveyAnswer.flag.is_not(None))
        .values(flag=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)
