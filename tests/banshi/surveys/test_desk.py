"""The survey desk, directly and through the shared runner: every question type, the reasons
an answer is asked again, pause and resume, other tasks in the middle, one response each."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from banshi.asks import Ask
from banshi.conversation import HUMAN_OFFER, Gist, Outcome, Request, Task, TaskState, TurnKind
from banshi.db import session_scope
from banshi.surveys import texts
from banshi.surveys.desk import Step, SurveyDesk
from banshi.surveys.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from banshi.surveys.responses import ResponseStatus
from tests.banshi.surveys.helpers import NOW, SURVEY, Chat, message, store

Q1 = "第1题：您最近一次怎么办的事？\n1. 到大厅办\n2. 网上办\n3. 委托他人\n4. 其他\n请回复序号，例如“1”。"


def answers(engine: Engine, openid: str = "citizen-1") -> dict[str, SurveyAnswer]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(SurveyAnswer)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyResponse.openid == openid)
        ).scalars()
        return {a.question: a for a in rows}


def status(engine: Engine, openid: str = "citizen-1") -> str | None:
    with session_scope(engine) as session:
        return session.execute(
            select(SurveyResponse.status).where(SurveyResponse.openid == openid)
        ).scalar_one_or_none()


def test_every_question_type_through_the_desk(engine: Engine) -> None:
    store(engine)
    chat = Chat(engine)
    opening = chat.start().messages
    assert opening[0].startswith("《办事体验调查》\n想听听您办事时的感受。\n共6题左右")
    assert opening[-1] == Q1
    assert chat.text("其他") == texts.ASK_OTHER
    assert chat.text("找社区代办员帮忙").startswith("第2题：哪些情况让您不方便？")
    assert chat.text("1、3").startswith("第3题：网上办不成卡在哪一步？")  # shown: q2 has 网上办不成
    reply = chat.say("app登录不上，有事打我电话13912345678").messages
    assert reply[0] == texts.MASKED_NOTE and reply[1].startswith("第4题：总体体验打几分？")
    assert "1. 户口迁移" in chat.text("4分")
    assert chat.text("3 1").startswith("第6题：还有什么建议？")
    last = chat.say("跳过")
    assert last.messages == [texts.THANKS] and last.task is None
    given = answers(engine)
    assert (given["q1"].choices, given["q1"].text) == (["其他"], "找社区代办员帮忙")
    assert given["q2"].choices == ["排队时间长", "网上办不成"]
    assert given["q3"].text == "app登录不上，有事打我电话139****5678"
    assert given["q4"].rating == 4
    assert given["q5"].choices == ["社保卡", "户口迁移"]
    assert given["q6"].skipped is True
    assert status(engine) == ResponseStatus.COMPLETE.value


def test_wrong_answers_are_asked_again_with_the_reason_and_a_person_offered(engine: Engine) -> None:
    store(engine)
    chat = Chat(engine)
    chat.start()
    again = chat.text("5")
    assert again == f"没有第5项，请回复1到4之间的序号。\n{Q1}"
    assert chat.state is not None and chat.state.failures == 1
    assert chat.text("跳过").startswith("这道题需要作答，麻烦您选一下。\n第1题")
    assert chat.text("到大厅办").startswith("第2题")
    assert chat.state.failures == 0
    assert chat.text("1 2 3").startswith("这道题最多选2项，请重新选择。\n第2题")
    assert chat.text("停车").startswith("第3题：总体体验打几分？")  # q3 hidden: no 网上办不成
    assert chat.text("8").startswith("评分是1到5分")
    assert chat.text("说不清").startswith("请回复1到5之间的一个数字")
    third = chat.say("差不多吧").messages
    assert third[-1] == HUMAN_OFFER  # the runner offers a person after three
    assert "q3" not in answers(engine) and answers(engine)["q2"].choices == ["停车难"]


def test_pause_then_resume_where_it_stopped_and_restart(engine: Engine) -> None:
    store(engine)
    chat = Chat(engine)
    chat.start()
    chat.say("2")
    left = chat.say("算了")
    assert left.messages == [texts.LEFT] and left.task is None
    later = Chat(engine, now=datetime(2026, 12, 20, 9, 0))  # another day, no slot kept
    back = later.start().messages
    assert (
        back[0]
        == "欢迎回来！《办事体验调查》您已填了1题，我们接着来。想从头填写，请回复“重新开始”。"
    )
    assert back[1].startswith("第2题：哪些情况让您不方便？")
    restarted = later.say("重新开始").messages
    assert restarted == [texts.RESTARTED, Q1]
    assert answers(engine) == {}
    with session_scope(engine) as session:
        assert session.execute(select(func.count()).select_from(SurveyResponse)).scalar_one() == 1


def test_a_guide_question_in_the_middle_is_answered_elsewhere_and_the_survey_waits(
    engine: Engine,
) -> None:
    store(engine)
    chat = Chat(engine)
    chat.start()
    aside = chat.say("身份证补办要带什么", Gist.QUESTION, ask=Ask.MATERIALS, item="居民身份证补领")
    assert aside.kind is TurnKind.GUIDE and aside.task is not None
    assert aside.after == ["（您的问卷还没办完，回复“继续”接着办，回复“算了”结束。）"]
    assert chat.text("继续") == Q1
    chat.say("1")
    chat.say("网上办不成")
    # in a free-text question a complaint is the answer, a guide question is not
    asked = chat.say("护照怎么网上申请", Gist.QUESTION, ask=Ask.ONLINE, item="普通护照签发")
    assert asked.kind is TurnKind.GUIDE
    taken = chat.say("我要投诉，网上申请一直失败", Gist.TASK, request=Request.COMPLAIN)
    assert taken.messages[0].startswith("第4题")
    assert answers(engine)["q3"].text == "我要投诉，网上申请一直失败"


def test_the_desk_methods_directly(engine: Engine) -> None:
    store(engine)
    desk = SurveyDesk(engine)
    started = desk.start(message("我来说说哪里不方便"), Request.SURVEY, None)
    assert started.outcome is Outcome.ASKING and started.state is not None
    state = started.state
    assert state.task is Task.SURVEY and state.step == Step.ASK.value
    assert set(state.data) == {"survey", "response", "question"}  # ids only, nothing personal
    assert desk.repeat(state) == [Q1]
    assert desk.answer(message("今天天气怎么样", gist=Gist.CHAT), state).outcome is Outcome.NOT_MINE
    moved = desk.answer(message("第二个"), state)
    assert moved.state is not None and moved.state.data["question"] == "q2"
    assert desk.leave(moved.state) == [texts.LEFT]
    stolen = desk.answer(
        message("1", "someone-else"), moved.state
    )  # a slot is no key to others' rows
    assert stolen.outcome is Outcome.DONE and stolen.messages == [texts.NO_SURVEY]
    # a late duplicate of the first answer does not answer q2 with it
    late = desk.answer(message("第二个"), state)
    assert late.state is not None and late.state.data["question"] == "q2"
    assert answers(engine)["q1"].choices == ["网上办"] and "q2" not in answers(engine)


def test_several_surveys_are_offered_by_number_and_targeted_ones_only_to_the_invited(
    engine: Engine,
) -> None:
    store(engine)
    store(
        engine,
        SURVEY.replace("id: demand-test", "id: second").replace("办事体验调查", "大厅环境调查"),
    )
    targeted = SURVEY.replace("id: demand-test", "id: bookers").replace(
        "办事体验调查", "预约体验调查"
    )
    store(engine, targeted.replace("questions:", "audience: {kind: booked}\nquestions:"))
    chat = Chat(engine)
    offered = chat.start().messages[0]
    assert offered == (
        "目前有以下问卷，请回复序号选择：\n1. 《办事体验调查》（2027年1月31日截止）\n"
        "2. 《大厅环境调查》（2027年1月31日截止）"
    )
    assert chat.text("3") == texts.CHOOSE_UNREAD
    assert chat.text("继续") == offered
    assert chat.text("2").startswith("《大厅环境调查》")
    with session_scope(engine) as session:
        session.add(SurveyInvitation(survey_id="bookers", openid="citizen-2", created_at=NOW))
    invited = Chat(engine, "citizen-2")
    assert "《预约体验调查》" in invited.start().messages[0]


def test_done_closed_and_absent_surveys(engine: Engine) -> None:
    desk = SurveyDesk(engine)
    assert desk.start(message("参加调查"), Request.SURVEY, None).messages == [texts.NO_SURVEY]
    short = SURVEY.replace("opens: 2026-12-01", "opens: 2026-12-01").replace(
        "closes: 2027-01-31", "closes: 2026-12-07"
    )
    store(engine, short)
    chat = Chat(engine)
    chat.start()
    for said in ("1", "1", "3", "1 2 3", "跳过"):
        chat.say(said)
    assert chat.state is None and status(engine) == ResponseStatus.COMPLETE.value
    again = desk.start(message("参加调查"), Request.SURVEY, None)
    assert (
        again.messages == [texts.NO_SURVEY] and again.state is None
    )  # done: nothing left to offer
    late = Chat(engine, "citizen-3")
    state = late.start().task
    assert state is not None
    after_close = desk.answer(message("1", "citizen-3", now=datetime(2026, 12, 8, 9, 0)), state)
    assert after_close.messages == [
        "《办事体验调查》已于12月7日截止，感谢您的关心！您已填写的内容我们都收到了。"
    ]
    assert after_close.outcome is Outcome.DONE


def test_abusive_text_is_kept_but_flagged(engine: Engine) -> None:
    store(engine)
    chat = Chat(engine)
    chat.start()
    for said in ("1", "1", "3", "1 2 3"):
        chat.say(said)
    chat.say("窗口的人都是傻 逼，110101199003074514 这个号报了八遍")
    q6 = answers(engine)["q6"]
    assert q6.flag == "abusive"
    assert "110101199003074514" not in q6.text and "110***********4514" in q6.text


def test_one_response_and_one_answer_under_five_concurrent_pushes(engine: Engine) -> None:
    store(engine)
    desk = SurveyDesk(engine)

    def start(_: int) -> TaskState | None:
        return desk.start(message("参加调查"), Request.SURVEY, None).state

    with ThreadPoolExecutor(5) as pool:
        states = list(pool.map(start, range(5)))
    assert len({s.data["response"] for s in states if s}) == 1
    state = states[0]
    assert state is not None

    def answer(_: int) -> TaskState | None:
        return desk.answer(message("2"), state).state

    with ThreadPoolExecutor(5) as pool:
        after = list(pool.map(answer, range(5)))
    assert {s.data["question"] for s in after if s} == {"q2"}
    with session_scope(engine) as session:
        assert session.execute(select(func.count()).select_from(SurveyResponse)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(SurveyAnswer)).scalar_one() == 1


def test_the_survey_must_be_open_today() -> None:
    from banshi.surveys.loader import parse_definition

    definition = parse_definition(SURVEY)
    assert definition.is_open(date(2027, 1, 31)) and not definition.is_open(date(2027, 2, 1))
