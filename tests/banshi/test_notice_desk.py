"""The notice desk (what action_task calls for 告知单) over the demo catalog, without Rasa,
run through the shared dialogue pattern (banshi.conversation)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.engine import Engine

from app.settings import Settings
from banshi.asks import Ask
from banshi.conversation import (
    Conversation,
    Gist,
    Message,
    Request,
    Task,
    TaskState,
    Turn,
    TurnKind,
)
from banshi.guide import Guide
from banshi.lexicon import load_lexicon
from banshi.links import Links
from banshi.notices import NoticeDesk, is_notice_number
from banshi.resolution import Resolver

NOW = datetime(2026, 11, 26, 10, 0)
URL = "https://banshi.example.gov.cn"
LINKS = Links(URL, b"test-secret-" * 4)
BIRTHS_PROXY = "夫妻双方均不能到场、委托他人代办的"


@pytest.fixture
def talk(catalog: Engine, settings: Settings) -> Conversation:
    guide = Guide(catalog, Resolver(load_lexicon(settings.lexicon_path)))
    return Conversation([NoticeDesk(catalog, guide, links=LINKS, prefix="BS")])


def say(
    talk: Conversation,
    task: TaskState | None,
    text: str,
    gist: Gist = Gist.UNCLEAR,
    request: Request | None = None,
    ask: Ask | None = None,
) -> Turn:
    message = Message(text, "o-desk", gist, NOW, request=request, ask=ask)
    return talk.handle(message, task)


def start(talk: Conversation, text: str) -> Turn:
    return say(talk, None, text, Gist.TASK, Request.NOTICE)


def number_in(turn: Turn) -> str:
    line = next(m for m in turn.messages if "编号：" in m)
    return line.split("编号：", 1)[1].split()[0]


def test_request_interview_and_issue(talk: Conversation) -> None:
    asked = start(talk, "我要办生育登记，给我个清单")
    assert asked.kind is TurnKind.TASK and asked.task and asked.task.task is Task.NOTICE
    assert "【生育登记】" in asked.messages[0] and "1. 一孩生育登记" in asked.messages[0]

    again = say(talk, asked.task, "随便吧")
    assert again.task and again.task.failures == 1 and "没有理解" in again.messages[0]

    condition = say(talk, asked.task, "二孩", Gist.QUESTION, ask=Ask.OVERVIEW)
    assert condition.task and condition.task.data["situation"] == "二孩生育登记"
    assert BIRTHS_PROXY in condition.messages[0]

    issued = say(talk, condition.task, "不是", Gist.NO)
    assert issued.task is None and len(issued.messages) <= 2
    number = number_in(issued)
    assert is_notice_number(number)
    assert f"{URL}/notices/{number}" in issued.messages[-1]

    mine = say(talk, None, "我的告知单", Gist.TASK, Request.MY_NOTICES)
    assert number in mine.messages[0] and "2026年11月26日" in mine.messages[0]
    opened = say(talk, None, number.lower(), Gist.TASK, Request.MY_NOTICES)
    assert f"编号：{number}" in opened.messages[0]
    missing = say(talk, None, "BS2026999999", Gist.TASK, Request.MY_NOTICES)
    assert "没有找到" in missing.messages[0]


def test_a_pick_from_the_list_continues_into_the_interview(talk: Conversation) -> None:
    offered = start(talk, "我要办身份证，给我告知单")
    assert offered.task and len(offered.task.data["candidates"]) > 1
    picked = say(talk, offered.task, "1", Gist.PICK)
    assert picked.task is None or picked.task.data["item"] == offered.task.data["candidates"][0]
    assert any("告知单" in m for m in picked.messages)


def test_leaving_and_a_question_in_the_middle(talk: Conversation) -> None:
    asked = start(talk, "生育登记告知单")
    left = say(talk, asked.task, "算了", Gist.NO)
    assert left.task is None and "先不开了" in left.messages[0]

    question = say(talk, asked.task, "社保卡补办要带什么", Gist.QUESTION, ask=Ask.MATERIALS)
    assert question.kind is TurnKind.GUIDE and question.task == asked.task
    assert "继续" in question.after[0]
    resumed = say(talk, question.task, "继续")
    assert resumed.messages == [asked.messages[0].split("\n", 1)[1]]


def test_three_unreadable_answers_offer_a_person(talk: Conversation) -> None:
    turn = start(talk, "生育登记告知单")
    for _ in range(3):
        turn = say(talk, turn.task, "嗯嗯嗯啊")
    assert "转人工" in turn.messages[-1]


def test_an_item_without_questions_is_issued_at_once(talk: Conversation) -> None:
    issued = start(talk, "失业保险金申领的告知单")
    assert issued.task is None and is_notice_number(number_in(issued)), issued.messages
