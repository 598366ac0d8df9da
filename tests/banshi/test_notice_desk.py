"""The notice conversation (what action_notice calls) over the demo catalog, without Rasa."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine

from banshi.guide import DialogueState, Guide
from banshi.notices import Interview, NoticeDesk, NoticeReply, is_notice_number
from banshi.settings import Settings

TODAY = date(2026, 11, 26)
URL = "https://banshi.example.gov.cn"
BIRTHS_PROXY = "夫妻双方均不能到场、委托他人代办的"


@pytest.fixture
def desk(catalog: Engine, settings: Settings) -> NoticeDesk:
    return NoticeDesk(Guide(catalog, settings), public_url=URL)


def say(
    desk: NoticeDesk, reply: NoticeReply, text: str, intent: str = "nlu_fallback"
) -> NoticeReply:
    return desk.reply(text, intent, reply.guide, reply.interview, "o-desk", TODAY)


def test_request_interview_and_issue(desk: NoticeDesk) -> None:
    asked = desk.request("我要办生育登记，给我个清单", DialogueState(), None, "o-desk", TODAY)
    assert asked.outcome == "asked" and asked.interview.pending
    assert "【生育登记】" in asked.messages[0] and "1. 一孩生育登记" in asked.messages[0]

    again = say(desk, asked, "随便吧")
    assert again.outcome == "not_understood" and again.interview == asked.interview

    condition = say(desk, asked, "二孩", "ask_overview")
    assert condition.outcome == "asked" and condition.interview.situation == "二孩生育登记"
    assert BIRTHS_PROXY in condition.messages[0]

    issued = say(desk, condition, "不是", "deny")
    assert issued.outcome == "issued" and issued.notice and is_notice_number(issued.notice)
    assert not issued.interview.pending and len(issued.messages) <= 2
    assert f"编号：{issued.notice}" in issued.messages[0]
    assert f"{URL}/notices/{issued.notice}" in issued.messages[-1]

    mine = desk.my_notices("我的告知单", "o-desk")
    assert issued.notice in mine[0] and "2026年11月26日" in mine[0]
    opened = desk.my_notices(issued.notice.lower(), "someone-else")
    assert f"编号：{issued.notice}" in opened[0]
    assert "没有找到" in desk.my_notices("BS2026999999", "o-desk")[0]
    assert "还没有" in desk.my_notices("我的告知单", "o-nobody")[0]


def test_a_pick_from_the_guide_continues_into_the_interview(desk: NoticeDesk) -> None:
    offered = desk.request("我要办身份证，给我告知单", DialogueState(), None, "o-desk", TODAY)
    assert offered.outcome == "clarify" and offered.interview.pending
    assert offered.guide.pending_intent == "request_notice" and len(offered.guide.candidates) > 1
    picked = say(desk, offered, "1", "choose_option")
    assert picked.outcome in ("asked", "issued")
    assert picked.guide.item_code == offered.guide.candidates[0]


def test_cancel_or_a_new_question_ends_the_interview(desk: NoticeDesk) -> None:
    asked = desk.request("生育登记告知单", DialogueState(), None, "o-desk", TODAY)
    cancelled = say(desk, asked, "算了", "deny")
    assert cancelled.outcome == "cancelled" and cancelled.interview == Interview()
    assert "取消" in cancelled.messages[0]

    moved = say(desk, asked, "社保卡补办要带什么", "ask_materials")
    assert moved.outcome == "left" and not moved.interview.pending
    assert any("需要准备的材料" in m for m in moved.messages[1:])


def test_an_item_without_questions_is_issued_at_once(desk: NoticeDesk) -> None:
    issued = desk.request("失业保险金申领的告知单", DialogueState(), None, "o-desk", TODAY)
    assert issued.outcome == "issued", issued.messages
