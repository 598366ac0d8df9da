"""The notice interview: the questions that change the list, and the citizen's answers read."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from banshi.choices import parse_choice
from banshi.models import (
    Item,
)
from banshi.notices.conditions import (
    Need,
    decide,
    material_cases,
    named_spans,
    situation_keys,
    situation_matters,
    situation_names,
)
from banshi.text import normalize_message


class QuestionKind(str, Enum):
    SITUATION = "situation"  # which 办理情形
    CONDITION = "condition"  # does a material's HANDLE_CASE apply (是 / 不是 / 不确定)


@dataclass(frozen=True)
class InterviewQuestion:
    """One question of the interview. ``key`` is "" for the situation, else the HANDLE_CASE."""

    kind: QuestionKind
    key: str
    text: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    """A reply understood: the situation's name, or True / False / None (不确定) for a condition."""

    value: str | bool | None


def plan(item: Item, situation: str | None = None) -> list[InterviewQuestion]:
    """The questions to ask, in order, given the situation if known.

    With several situations that matter and none chosen yet, only the situation question is
    returned: which conditions to ask depends on the answer.
    """
    names = situation_names(item)
    if situation is None and situation_matters(item):
        return [_situation_question(names)]
    if situation is None and len(names) == 1:
        situation = names[0]
    return [
        _condition_question(c)
        for c in material_cases(item)
        if decide(names, c, situation) is Need.ASK
    ]


def next_question(
    item: Item, situation: str | None, conditions: Mapping[str, bool | None]
) -> InterviewQuestion | None:
    """The first question not answered yet; None when the notice can be issued."""
    for question in plan(item, situation):
        if question.kind is QuestionKind.SITUATION or question.key not in conditions:
            return question
    return None


def _situation_question(names: Sequence[str]) -> InterviewQuestion:
    lines = ["请问您属于以下哪种办理情形？请回复序号或情形名称："]
    lines += [f"{i}. {name}" for i, name in enumerate(names, 1)]
    return InterviewQuestion(QuestionKind.SITUATION, "", "\n".join(lines), tuple(names))


def _condition_question(case: str) -> InterviewQuestion:
    text = (
        f"请问您的情况是否属于：“{case}”？请回复“是”或“不是”。"
        "如不确定，可回复“不确定”，告知单会把相应材料一并列出。"
    )
    return InterviewQuestion(QuestionKind.CONDITION, case, text, ("是", "不是"))


_UNSURE = re.compile(r"不确定|不清楚|不知道|不晓得|说不准|不好说|不一定|不太清楚|搞不清")
_NO = re.compile(
    r"^(?:不是|不属于|不对|不用|不需要|不存在|没有|没得|莫得|没|无|否|不|冇|唔系|唔是)|^(?:no|n)$"
)
_YES = re.compile(r"^(?:是|对|有|属于|需要|要|嗯|好|确认|没错|确实|正是|就是|存在)|^(?:yes|y|ok)$")
# Who does it: a question about a proxy (委托他人代办的) is answered "本人办理" / "我自己去".
_PROXY_CASE = re.compile(r"委托|代办|代为|代理|他人|监护人")
_SELF = re.compile(r"本人|自己|亲自|我去|我来办|我自个")
_PROXY = re.compile(
    r"委托|代办|代理|代为|别人|他人|家人|家属|亲戚|朋友|帮我办|替我|让[^，,。]{1,4}去"
)
_LEAD = re.compile(r"^(?:嗯|呃|额|那个|这个|我们家|我们|我家|我)+")  # 嗯我不是 → 不是
_NEGATED = re.compile(r"没|不|无|未|非")
_GENERIC = re.compile(r"办理|申请|申领|登记|提取|情况|的")
_SHORT_REPLY = 12


def _common_length(a: str, b: str) -> int:
    """Length of the longest common substring of ``a`` and ``b``."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def parse_answer(question: InterviewQuestion, text: str) -> Answer | None:
    """The citizen's reply understood, or None (ask again).

    Accepts a number ("2", "第二个"), yes / no words in the citizen's own phrasing ("是的",
    "对", "嗯", "有", "不是", "没有", "没得"), "不确定", who does it for a question about a
    proxy ("本人办理" / "我自己去" → 不是; "让家人去办" → 是), the condition's own words
    ("有抵押" / "没有抵押"), or the option's name or a distinctive part of it ("二孩").
    """
    reply = re.sub(r"[\s,，.。!！?？~、]+", "", normalize_message(text)).lower()
    if not reply:
        return None
    options = question.options
    if question.kind is QuestionKind.CONDITION:
        return _condition_answer(question.key, reply)
    choice = parse_choice(reply, len(options))
    if choice is not None:
        return Answer(options[choice - 1]) if choice > 0 else None
    if reply in options:
        return Answer(reply)
    who = _who(reply)
    if who is not None:  # 本人申领 / 委托他人代为申领: "我自己去" picks the first
        fitting = [o for o in options if bool(_PROXY_CASE.search(o)) is who]
        if len(fitting) == 1:
            return Answer(fitting[0])
    named = {s.linked for s in named_spans(reply, situation_keys(options))}
    if len(named) == 1:
        (linked,) = named
        if len(linked) == 1:
            return Answer(options[next(iter(linked))])
    scores = [_common_length(reply, option) for option in options]
    best = max(scores)
    if best >= 2 and scores.count(best) == 1:
        return Answer(options[scores.index(best)])
    return None


def _who(reply: str) -> bool | None:
    """True: someone else does it for them; False: they do it themselves; None: not said."""
    if _PROXY.search(reply) and not re.search(r"不(?:用|要|找|让|委托)", reply):
        return True
    if _SELF.search(reply):
        return False
    return None


def _condition_answer(case: str, reply: str) -> Answer | None:
    """Whether the case applies, in whatever words the citizen says it."""
    if _UNSURE.search(reply):
        return Answer(None)
    choice = parse_choice(reply, 2)
    if choice is not None:
        return Answer(choice == 1) if choice > 0 else None
    if _PROXY_CASE.search(case):
        who = _who(reply)
        if who is not None:
            return Answer(who)
    bare = _LEAD.sub("", reply) or reply
    if _NO.match(bare):
        return Answer(False)
    if _YES.match(bare):
        return Answer(True)
    # The case's own words said back: "有抵押" / "房子没抵押" for 房屋存在抵押的. Only in a short
    # reply, and not on words every case has: "我想问下办理流程" is a question, not a yes.
    if len(bare) <= _SHORT_REPLY and _common_length(bare, _GENERIC.sub("", case)) >= 2:
        return Answer(not _NEGATED.search(bare))
    return None
