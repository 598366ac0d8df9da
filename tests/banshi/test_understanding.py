"""The decision step (banshi/understanding.py): the NLU's readings weighed against the resolver.

Pure functions over small made-up readings and resolutions: no model, no database. Which
training examples of the task intents say their task in words is checked against nlu_data.
"""

from __future__ import annotations

import re

import pytest
import yaml

from actions.said import REQUESTS
from app.settings import PROJECT_ROOT
from banshi.asks import Ask
from banshi.conversation import Gist, Request
from banshi.resolution import Candidate, Decision, Resolution
from banshi.understanding import (
    Context,
    Heard,
    Reading,
    Support,
    Verdict,
    also_asked,
    asked_about,
    decide,
    support,
    supported,
)

ITEM = "11139900MB1A00010P3002011001003"


def found(score: float = 30.0, decision: Decision = Decision.ONE) -> Resolution:
    return Resolution([Candidate(ITEM, "居民身份证补领", "1", score)], decision)


NOTHING = Resolution([], Decision.NONE)


def q(ask: Ask, confidence: float) -> Reading:
    return Reading(Gist.QUESTION, confidence, ask=ask)


def task(request: Request, confidence: float) -> Reading:
    return Reading(Gist.TASK, confidence, request=request)


def heard(text: str, *readings: Reading, flagged: bool = False) -> Heard:
    return Heard(text, tuple(readings), flagged)


# ---------------------------------------------------------------------- item over NLU doubt


def test_an_unsure_nlu_yields_to_the_item_and_keeps_its_likeliest_aspect() -> None:
    message = heard(
        "社保卡临时挂失以后卡又找到了，怎么解挂",
        Reading(Gist.OUT_OF_SCOPE, 0.3),
        q(Ask.PROCESS, 0.27),
        flagged=True,
    )
    understood = decide(message, found())
    assert understood.verdict is Verdict.QUESTION and understood.ask is Ask.PROCESS
    assert understood.found is not None and understood.found.best is not None


def test_a_confident_out_of_scope_reading_yields_only_to_a_strong_item() -> None:
    outside = Reading(Gist.OUT_OF_SCOPE, 0.87)
    text = "家里着火了，日子过不下去，政府能临时救助一下吗"
    assert decide(heard(text, outside), found(score=12)).verdict is Verdict.OUT_OF_SCOPE
    strong = decide(heard(text, outside), found(score=30))
    assert strong.verdict is Verdict.QUESTION
    assert strong.ask is Ask.CONDITIONS  # no aspect read: the words ask whether they may


def test_yes_or_no_outside_a_task_with_an_item_named_is_a_question() -> None:
    message = heard("没结婚证生的孩子能上户口不", Reading(Gist.NO, 0.53), q(Ask.CONDITIONS, 0.25))
    understood = decide(message, found(score=15))
    assert understood.verdict is Verdict.QUESTION and understood.ask is Ask.CONDITIONS


def test_small_talk_stays_small_talk_unless_an_item_is_strong() -> None:
    assert decide(heard("你好", Reading(Gist.CHAT, 0.99)), NOTHING).verdict is Verdict.CHAT
    greeting = heard("您好，特困供养都有啥待遇", Reading(Gist.CHAT, 0.75))
    assert decide(greeting, found(score=36)).verdict is Verdict.QUESTION


def test_neither_signal_sure_says_out_of_scope_asks_the_guide_or_did_not_understand() -> None:
    outside = heard("大熊猫基地门票多少钱", Reading(Gist.OUT_OF_SCOPE, 0.5), q(Ask.FEES, 0.4))
    assert decide(outside, NOTHING).verdict is Verdict.OUT_OF_SCOPE
    follow_up = heard("那要多少钱", q(Ask.FEES, 0.45), Reading(Gist.CHAT, 0.2), flagged=True)
    understood = decide(follow_up, NOTHING)
    assert understood.verdict is Verdict.QUESTION and understood.ask is Ask.FEES
    noise = heard("嗯那个", Reading(Gist.YES, 0.3), Reading(Gist.CHAT, 0.2), flagged=True)
    assert decide(noise, NOTHING).verdict is Verdict.NOT_UNDERSTOOD
    assert decide(heard("/nlu_fallback", flagged=True), None).verdict is Verdict.NOT_UNDERSTOOD


def test_a_confident_pick_is_a_pick() -> None:
    assert decide(heard("2", Reading(Gist.PICK, 1.0)), NOTHING).verdict is Verdict.PICK


# ---------------------------------------------------------------------- tasks need support


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("执照要改个地址咋弄", task(Request.RESCHEDULE_BOOKING, 0.81)),
        ("能撤销网签吗", task(Request.CANCEL_BOOKING, 0.9)),
        ("护照的预约我取消了，还能当天直接去大厅办吗", task(Request.CANCEL_BOOKING, 0.86)),
        ("预约没约到 能直接去窗口换身份证不", task(Request.RESCHEDULE_BOOKING, 0.8)),
        ("我之前投诉过出入境的窗口，现在还能去办护照不", task(Request.COMPLAIN, 0.9)),
        ("觉得残疾等级评低了，想重新评", task(Request.RATE, 0.94)),
        ("办护照需要预约吗", task(Request.BOOK, 0.9)),
        ("办护照的监督投诉电话是多少", task(Request.COMPLAIN, 0.9)),
        ("不预约能直接去大厅办护照吗", task(Request.BOOK, 0.8)),
        ("取消预约后护照还能现场办吗", task(Request.CANCEL_BOOKING, 0.95)),
    ],
)
def test_a_task_word_next_to_an_item_is_about_the_item(text: str, reading: Reading) -> None:
    understood = decide(heard(text, reading), found())
    assert understood.verdict is Verdict.QUESTION, text


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("帮我把护照的预约改到礼拜六", Request.RESCHEDULE_BOOKING),
        ("我要取消护照的预约", Request.CANCEL_BOOKING),
        ("护照的预约改到后天", Request.RESCHEDULE_BOOKING),
        ("把结婚登记那个号退了", Request.CANCEL_BOOKING),
        ("之前约的社保卡那个取消", Request.CANCEL_BOOKING),
        ("我想预约明天上午办护照", Request.BOOK),
        ("办护照的窗口态度太差了，我要投诉", Request.COMPLAIN),
    ],
)
def test_a_task_in_its_own_words_is_taken_even_with_an_item(text: str, wanted: Request) -> None:
    understood = decide(heard(text, task(wanted, 0.9)), found())
    assert understood.verdict is Verdict.TASK and understood.request is wanted


def test_without_words_the_context_decides() -> None:
    change = task(Request.RESCHEDULE_BOOKING, 0.9)
    assert decide(heard("改到周五", change), NOTHING).verdict is Verdict.TASK  # names no item
    assert decide(heard("改到周五上午办身份证", change), found()).verdict is Verdict.QUESTION
    holds = Context(has_booking=True)
    assert decide(heard("改到周五上午办身份证", change), found(), holds).verdict is Verdict.TASK


def test_an_unsure_task_needs_its_words() -> None:
    unsure = task(Request.COMPLAIN, 0.49)
    assert decide(heard("医院专家号太难挂了", unsure, flagged=True), NOTHING).verdict is not (
        Verdict.TASK
    )
    assert decide(heard("我要投诉", unsure, flagged=True), NOTHING).verdict is Verdict.TASK


def test_support_reads_done_and_wanted_acts() -> None:
    assert support(Request.COMPLAIN, "投诉完了窗口还能办吗") is Support.MENTIONED
    assert support(Request.COMPLAIN, "被刁难了") is Support.SAID
    assert support(Request.CANCEL_BOOKING, "我要取消护照的预约了") is Support.SAID
    assert support(Request.CANCEL_BOOKING, "租约提前结束了，租房备案要取消吗") is Support.SILENT
    assert support(Request.MY_NOTICES, "之前生成的清单在哪") is Support.SAID
    assert not supported(Request.COMPLAIN, "投诉完了窗口还能办吗", NOTHING)


def _examples(intent: str) -> list[tuple[str, bool]]:
    data = yaml.safe_load((PROJECT_ROOT / "nlu_data" / "tasks.yml").read_text(encoding="utf-8"))
    block = next(b for b in data["nlu"] if b.get("intent") == intent)
    lines = [line.strip()[2:] for line in block["examples"].splitlines() if line.strip()]
    return [(re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line), "](item)" in line) for line in lines]


@pytest.mark.parametrize("intent", sorted(REQUESTS))
def test_every_training_example_of_a_task_is_supported(intent: str) -> None:
    """An example naming an item says its task in words (else the item would win); none is
    read as only mentioning a task already done."""
    request = REQUESTS[intent]
    for text, names_an_item in _examples(intent):
        said = support(request, text)
        assert said is not Support.MENTIONED, text
        assert said is Support.SAID or not names_an_item, text


# ---------------------------------------------------------------------- what is asked


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        ("补一张要多少钱", Ask.FEES),
        ("当天能拿到吗", Ask.TIME_LIMIT),
        ("在哪办，周六开门不", Ask.PLACE_HOURS),
        ("要带些啥子", Ask.MATERIALS),
        ("打哪个电话问", Ask.CONTACT),
        ("怎么注销", Ask.PROCESS),
        ("外地人能办吗", Ask.CONDITIONS),
        ("咋整", None),
    ],
)
def test_words_that_say_what_is_asked(text: str, ask: Ask | None) -> None:
    assert asked_about(text) is ask


def test_an_overview_reading_of_an_eligibility_question_answers_the_conditions() -> None:
    message = heard("外地户口能在这登记结婚吗", q(Ask.OVERVIEW, 0.8))
    assert decide(message, found()).ask is Ask.CONDITIONS
    assert decide(heard("结婚登记咋办", q(Ask.OVERVIEW, 0.8)), found()).ask is Ask.OVERVIEW


def test_a_second_aspect_is_what_the_words_plainly_ask_besides() -> None:
    assert also_asked("身份证丢了咋补办，要带啥", Ask.MATERIALS) is Ask.PROCESS
    assert also_asked("导游证咋申请", Ask.OVERVIEW) is Ask.PROCESS
    assert also_asked("导游证咋申请", Ask.PROCESS) is None
    assert also_asked("外地人能办吗", Ask.MATERIALS) is None  # eligibility words are everywhere
    assert also_asked("要带啥", None) is None


# ---------------------------------------------------------------------- whose business


def test_a_complaint_about_a_private_party_is_out_of_scope_with_the_line_to_call() -> None:
    text = "我要投诉外卖小哥送餐太慢"
    understood = decide(heard(text, task(Request.COMPLAIN, 0.93)), NOTHING)
    assert understood.verdict is Verdict.OUT_OF_SCOPE
    assert understood.referral is not None and "12315" in understood.referral.text
    # ... even when a shop's words find an item (那家店 → 个体工商户)
    shop = heard("在饭店吃坏肚子了，想投诉那家店", task(Request.COMPLAIN, 0.8))
    assert decide(shop, found(score=19.6)).verdict is Verdict.OUT_OF_SCOPE
    # an out-of-scope reading about a shop gets the line too; one about nothing has none
    refund = heard("外卖送晚了一个多小时，能让商家赔吗", Reading(Gist.OUT_OF_SCOPE, 0.9))
    assert decide(refund, NOTHING).referral is not None
    for text, request in (
        ("给这家饭店打个差评", Request.RATE),
        ("外卖送餐太慢，我要投诉", Request.COMPLAIN),
    ):
        assert decide(heard(text, task(request, 0.9)), NOTHING).verdict is Verdict.OUT_OF_SCOPE
    for text in ("明天会下雪吗", "附近哪家饭店好吃"):  # no dispute: no line to call
        outside = decide(heard(text, Reading(Gist.OUT_OF_SCOPE, 0.9)), NOTHING)
        assert outside.verdict is Verdict.OUT_OF_SCOPE and outside.referral is None, text
    hotel = decide(heard("帮我订个酒店", task(Request.BOOK, 0.9)), NOTHING)
    assert hotel.verdict is Verdict.OUT_OF_SCOPE and hotel.referral is None


def test_a_complaint_about_the_hall_stays_a_ticket() -> None:
    text = "我要投诉窗口工作人员态度太差"
    understood = decide(heard(text, task(Request.COMPLAIN, 0.93)), NOTHING)
    assert understood.verdict is Verdict.TASK and understood.request is Request.COMPLAIN
    assert understood.referral is None


def test_a_booking_of_what_the_halls_do_not_book_is_out_of_scope() -> None:
    specialist = heard("帮我挂个专家号", task(Request.BOOK, 0.9))
    assert decide(specialist, NOTHING).verdict is Verdict.OUT_OF_SCOPE
    hall = heard("我想预约办身份证", task(Request.BOOK, 0.9))
    assert decide(hall, found()).verdict is Verdict.TASK
    # a restaurant's licence is the halls' to book when the words name the item
    licence = heard("预约办理餐厅食品经营许可", task(Request.BOOK, 0.9))
    assert decide(licence, found()).verdict is Verdict.TASK
    assert decide(licence, NOTHING).verdict is Verdict.OUT_OF_SCOPE
