"""Reading one reply: numbers in every form citizens type them, words, ratings, skips."""

from __future__ import annotations

import pytest

from banshi.surveys.definition import Option, Question, QuestionType
from banshi.surveys.reading import Picked, Rated, Refused, Skipped, Unread, Written, read_answer

OPTIONS = tuple(
    Option(x, x) for x in ("排队时间长", "材料反复交", "网上办不成", "办理地点和时间不方便")
)
SINGLE = Question("q1", QuestionType.SINGLE, "t", OPTIONS, other=True)
MULTIPLE = Question("q2", QuestionType.MULTIPLE, "t", OPTIONS, max=3)
RANKING = Question("q3", QuestionType.RANKING, "t", OPTIONS, max=3)
RATING = Question("q4", QuestionType.RATING, "t")
TEXT = Question("q5", QuestionType.TEXT, "t", optional=True)


@pytest.mark.parametrize(
    ("question", "said", "keys"),
    [
        (SINGLE, "2", ("材料反复交",)),
        (SINGLE, "第三个", ("网上办不成",)),
        (SINGLE, "我选1吧", ("排队时间长",)),
        (SINGLE, "排队太久", ("排队时间长",)),  # words: the clearly closest option
        (SINGLE, "其他", ("其他",)),
        (MULTIPLE, "1 3", ("排队时间长", "网上办不成")),
        (MULTIPLE, "1、3", ("排队时间长", "网上办不成")),
        (MULTIPLE, "一和三", ("排队时间长", "网上办不成")),
        (MULTIPLE, "13", ("排队时间长", "网上办不成")),
        (MULTIPLE, "1，1，2", ("排队时间长", "材料反复交")),  # a repeat is not a second pick
        (MULTIPLE, "排队时间长和网上办不成", ("排队时间长", "网上办不成")),
        (MULTIPLE, "办理地点和时间不方便", ("办理地点和时间不方便",)),  # 和 inside a label
        (RANKING, "3 1 2", ("网上办不成", "排队时间长", "材料反复交")),
        (RANKING, "312", ("网上办不成", "排队时间长", "材料反复交")),
        (RANKING, "第四个、第一个", ("办理地点和时间不方便", "排队时间长")),
    ],
)
def test_choices_are_read_in_the_order_given(
    question: Question, said: str, keys: tuple[str, ...]
) -> None:
    assert read_answer(question, said) == Picked(keys)


def test_other_with_its_words_in_the_same_message() -> None:
    assert read_answer(SINGLE, "其他：厕所太脏") == Picked(("其他",), "厕所太脏")
    assert read_answer(SINGLE, "其他").wants_other_text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("question", "said", "reason"),
    [
        (SINGLE, "6", "没有第6项，请回复1到5之间的序号。"),
        (SINGLE, "1 2", "这道题只能选一项，请回复一个序号。"),
        (MULTIPLE, "1 2 3 4", "这道题最多选3项，请重新选择。"),
        (RANKING, "2 2", "同一项不能排两次，请重新排序。"),
        (RATING, "6", "评分是1到5分，请回复1到5之间的数字。"),
        (RATING, "4.5", "请打整数分，1到5分。"),
        (SINGLE, "跳过", "这道题需要作答，麻烦您选一下。"),
    ],
)
def test_wrong_answers_are_refused_with_the_reason(
    question: Question, said: str, reason: str
) -> None:
    assert read_answer(question, said) == Refused(reason)


@pytest.mark.parametrize(
    ("said", "value"),
    [("5", 5), ("五分", 5), ("给4分", 4), ("★★★", 3), ("很满意", 5), ("还行吧", 3), ("1星", 1)],
)
def test_ratings(said: str, value: int) -> None:
    assert read_answer(RATING, said) == Rated(value)


def test_unreadable_answers_say_how_to_answer() -> None:
    assert isinstance(read_answer(SINGLE, "身份证补办要带什么"), Unread)
    assert isinstance(read_answer(RATING, "说不清"), Unread)
    assert isinstance(read_answer(TEXT, "嗯"), Unread)


def test_text_and_skip() -> None:
    assert read_answer(TEXT, "跳过") == Skipped()
    assert read_answer(TEXT, "  app 老是闪退 ") == Written("app 老是闪退")
    assert isinstance(read_answer(TEXT, "很" * 600), Refused)
