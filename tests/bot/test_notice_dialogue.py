"""一次性告知单 in real conversations: the trained model, with action_task (the notice desk)
running on the session's action server."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.bot.test_dialogue import Citizen, response

pytestmark = pytest.mark.model

NUMBER = re.compile(r"编号：(BS20\d{8})")


@pytest.fixture
def citizen(agent: Any, loop: Any) -> Citizen:
    return Citizen(agent, loop)


def test_request_pick_situation_condition_then_the_notice(citizen: Citizen) -> None:
    # a loss: 挂失 or 补领换领, the assistant asks which
    [offered] = citizen.say("社保卡丢了，给我一份告知单")
    assert "1. 社会保障卡" in offered and "社会保障卡挂失" in offered
    assert citizen.slot("task_active") is True
    assert citizen.slot("task")["step"] == "item"

    # picked by its number in the list, whatever the order the resolver offered
    [pick] = re.findall(r"(\d+)\. 社会保障卡补领换领", offered)
    [situation] = citizen.say(pick)
    assert "【社会保障卡补领换领】" in situation and "1. 丢失补领" in situation

    [condition] = citizen.say("丢失补领")
    assert "委托他人代办的" in condition
    assert citizen.slot("task")["data"]["situation"] == "丢失补领"

    notice = citizen.say("不是")
    assert 1 <= len(notice) <= 2
    match = NUMBER.search(notice[0])
    assert match, notice
    number = match.group(1)
    assert f"/notices/{number}" in notice[-1]
    assert citizen.slot("task_active") is False

    [mine] = citizen.say("我的告知单")
    assert number in mine and "社会保障卡补领换领" in mine

    opened = citizen.say(number.lower())
    assert f"编号：{number}" in opened[0]


def test_cancel_ends_the_interview_politely(citizen: Citizen, agent: Any) -> None:
    [question] = citizen.say("给我开个生育登记的一次性告知单")
    assert "1. 一孩生育登记" in question
    [cancelled] = citizen.say("算了")
    assert "先不开了" in cancelled
    assert citizen.slot("task_active") is False
    # Back to ordinary turns: a greeting is a greeting again.
    assert citizen.say("你好") == [response(agent, "utter_greet")]


def test_a_question_in_the_middle_is_answered_and_the_interview_resumes(
    citizen: Citizen,
) -> None:
    [question] = citizen.say("帮我出个生育登记的告知单")
    assert citizen.slot("task_active") is True
    replies = citizen.say("社保卡丢了补办要带什么")
    assert any("需要准备的材料" in r for r in replies)
    assert "继续" in replies[-1]
    assert citizen.slot("task_active") is True
    [again] = citizen.say("继续")
    assert "1. 一孩生育登记" in again


def test_no_notices_yet_and_an_unknown_number(citizen: Citizen) -> None:
    [none] = citizen.say("我的告知单")
    assert "还没有" in none
    [missing] = citizen.say("BS2026999999")
    assert "没有找到编号为 BS2026999999 的告知单" in missing
