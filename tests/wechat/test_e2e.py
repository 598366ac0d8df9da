"""End to end: ``banshi run`` with the trained model, driven only through signed pushes.

The assistant (``live``) is described and started in conftest.py: one for the session, shared
with test_e2e_console.py."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql_text

from app.settings import PROJECT_ROOT
from banshi.db import make_engine, session_scope
from banshi.text import split_message
from bot.wechat import texts
from bot.wechat.protocol import sign
from tests.wechat.conftest import (
    AES_KEY,
    APPID,
    LONG_QUESTION,
    TOKEN,
    WORKERS,
    Live,
    answer_complaint_desk,
)
from wechat_standin.driver import (
    Account,
    PushDriver,
    PushOutcome,
    event_xml,
    location_xml,
    signed_query,
    text_xml,
)

pytestmark = [pytest.mark.model, pytest.mark.redis]


@pytest.fixture(autouse=True)
def _reset_faults(live: Live) -> None:
    live.standin.api.faults.clear()


# ---------------------------------------------------------------- modes and refusals


def test_plain_push_gets_the_dialogue_answer(live: Live) -> None:
    who = live.openid("plain")
    outcome = live.push(text_xml(who, "你好"))
    assert outcome.ok, outcome.failure
    assert outcome.reply is not None and "办事助手" in outcome.reply
    assert outcome.latency is not None and outcome.latency < 1.0
    assert live.user_turns(who) == 1


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_encrypted_push_gets_an_encrypted_answer(live: Live, mode: str) -> None:
    who = live.openid(mode)
    outcome = live.push(text_xml(who, "护照办理收费吗"), mode=mode)
    assert outcome.ok, outcome.failure  # the driver decrypted and checked the reply
    assert "<Encrypt>" in outcome.deliveries[0].body
    assert outcome.reply is not None and "护照" in outcome.reply


def test_a_wrong_signature_is_refused_and_nothing_is_processed(live: Live) -> None:
    who = live.openid("forged")
    query = signed_query(TOKEN)
    query["signature"] = sign("not-the-token", query["timestamp"], query["nonce"])
    response = httpx.post(live.webhook, params=query, content=text_xml(who, "你好").encode())
    assert response.status_code == 403
    assert live.user_turns(who) == 0


def test_replays_are_refused(live: Live) -> None:
    who = live.openid("replay")
    old = signed_query(TOKEN, timestamp=str(int(time.time()) - 3600))
    late = httpx.post(live.webhook, params=old, content=text_xml(who, "你好").encode())
    assert late.status_code == 403
    query = signed_query(TOKEN)
    first = httpx.post(live.webhook, params=query, content=text_xml(who, "你好").encode())
    assert first.status_code == 200
    forged = httpx.post(live.webhook, params=query, content=text_xml(who, "谢谢").encode())
    assert forged.status_code == 403
    assert live.user_turns(who) == 1


# ---------------------------------------------------------------- WeChat's rules


def test_three_deliveries_make_one_dialogue_turn(live: Live) -> None:
    who = live.openid("retry")
    outcome = live.push(text_xml(who, "护照办理收费吗"), repeat=3, gap=0.1)
    assert outcome.ok and len(outcome.deliveries) == 3
    assert all(d.status == 200 for d in outcome.deliveries)
    assert live.user_turns(who) == 1


def test_a_slow_answer_is_delivered_by_customer_service_message(live: Live) -> None:
    who = live.openid("cs", slow=True)
    outcome = live.push(text_xml(who, "护照办理收费吗"))
    assert outcome.ok and outcome.reply is None  # `success`, in time
    assert outcome.latency is not None and outcome.latency < 5.0
    assert len(outcome.deliveries) == 1  # so WeChat never retried
    delivered = live.delivered(who)
    assert len(delivered) == 1 and "护照" in delivered[0]
    assert live.user_turns(who) == 1


def test_a_45015_answer_is_delivered_on_the_next_message(live: Live) -> None:
    who = live.openid("45015", slow=True)
    live.standin.api.fail("message/custom/send", 45015)
    assert live.push(text_xml(who, "护照办理收费吗")).reply is None
    deadline = time.monotonic() + 20
    while not live.standin.api.received("message/custom/send", who) and time.monotonic() < deadline:
        time.sleep(0.2)
    [refused] = live.standin.api.received("message/custom/send", who)
    assert refused.errcode == 45015
    engine = make_engine(live.database_url)
    from bot.wechat.models import PendingAnswer

    time.sleep(0.5)
    with engine.connect() as conn:
        kept = conn.execute(
            select(func.count()).select_from(PendingAnswer).where(PendingAnswer.openid == who)
        ).scalar_one()
    assert kept == 1
    # The next message (slow too: every message reaches an action) brings the kept answer
    # first, by 客服消息 this time.
    outcome = live.push(text_xml(who, "谢谢"))
    assert outcome.ok, outcome.failure
    later = live.delivered(who, count=1, timeout=20)
    assert later and later[0].startswith(texts.PENDING_PREFIX), later
    assert refused.text in later[0]
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(PendingAnswer).where(PendingAnswer.openid == who)
            ).scalar_one()
            == 0
        )
    engine.dispose()


def test_a_long_answer_is_split(live: Live) -> None:
    who = live.openid("long")
    outcome = live.push(text_xml(who, LONG_QUESTION))
    assert outcome.ok and outcome.reply is not None
    assert len(outcome.reply.encode()) <= 2000
    rest = live.delivered(who, count=2)  # 3 texts: the passive reply and 2 客服消息
    time.sleep(0.5)
    assert rest == live.standin.api.delivered(who), "no more than the answer"
    assert all(len(part.encode()) <= 2000 for part in rest)
    whole = "\n".join([outcome.reply, *rest])
    assert "补充证明材料第1项" in whole and "补充证明材料第40项" in whole
    assert len(split_message(whole)) >= 2


# ---------------------------------------------------------------- events and other types


def test_subscribe_menu_click_and_location(live: Live) -> None:
    who = live.openid("events")
    assert live.push(event_xml(who, "subscribe", key="")).reply == texts.WELCOME
    scene = live.push(event_xml(who, "subscribe", key="qrscene_hall_H139900001")).reply
    assert scene is not None and "欢迎来到示范市政务服务中心" in scene
    click = live.push(event_xml(who, "CLICK", key="REQUEST_HUMAN"), mode="safe")
    # 转人工: a person is being found, or — outside service hours — a 咨询 ticket is filed
    assert click.ok and click.reply is not None
    assert "转接人工服务" in click.reply or "工单编号" in click.reply, click.reply
    hall = live.push(location_xml(who, 38.018, 114.531, "不动产登记中心附近")).reply
    assert hall is not None and "示范市不动产登记中心" in hall and "开放时间" in hall
    for event, extra in (
        ("VIEW", {"key": "https://gjzwfw.www.gov.cn/"}),
        ("LOCATION", {"Latitude": 38.04, "Longitude": 114.48, "Precision": 30.0}),
        ("TEMPLATESENDJOBFINISH", {"MsgID": 1, "Status": "success"}),
    ):
        outcome = live.push(event_xml(who, event, **extra))
        assert outcome.ok and outcome.reply is None and outcome.deliveries[0].body == "success"


def test_unsubscribe_deletes_the_conversation_and_personal_data(live: Live) -> None:
    who = live.openid("bye")
    live.push(text_xml(who, "你好"))
    assert live.redis.exists(f"banshi:tracker:{who}")
    assert list(live.redis.scan_iter(match=f"wechat:msg:{who}:*"))
    outcome = live.push(event_xml(who, "unsubscribe", key=""))
    assert outcome.ok and outcome.reply is None
    assert not live.redis.exists(f"banshi:tracker:{who}")
    assert not list(live.redis.scan_iter(match=f"wechat:msg:{who}:*"))


# ---------------------------------------------------------------- 一次性告知单


def test_a_notice_in_chat_and_its_page_on_the_assistant(live: Live) -> None:
    who = live.openid("notice")

    def answer(text: str) -> str:
        outcome = live.push(text_xml(who, text))
        assert outcome.ok, outcome.failure
        return outcome.reply or "\n\n".join(live.delivered(who))

    assert "1. 一孩生育登记" in answer("给我开个生育登记的一次性告知单")
    assert "委托他人代办" in answer("1")
    first = answer("不是")  # the notice's first part; the rest follows as 客服消息
    notice = "\n".join([first, *live.delivered(who)])
    assert "编号：BS" in first
    base = live.webhook.removesuffix("/webhooks/wechat/webhook")
    link = next(line for line in notice.splitlines() if "/notices/" in line)
    url = link[link.index("http") :]
    assert url.startswith(f"{base}/notices/BS")  # BANSHI_PUBLIC_URL defaults to banshi run's
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and "生育登记" in page.text
    missing = httpx.get(f"{base}/notices/BS2026999999", timeout=10)
    assert missing.status_code == 404 and "未找到" in missing.text


# ---------------------------------------------------------------- personal data (issue 19)


def _id_number(seed: int) -> str:
    """A valid 18-digit 居民身份证号码 no other test uses (GB 11643 check digit)."""
    from banshi.privacy.idnumbers import id_check_char

    first17 = f"11010519{seed % 100:02d}0101{seed % 1000:03d}"[:17]
    return first17 + id_check_char(first17)


def test_personal_numbers_are_stored_nowhere_in_clear(live: Live) -> None:
    """A question with an ID and a phone number through the real assistant (Redis tracker
    store): the answer comes, and no Redis key, no database row, no log holds the digits."""
    who = live.openid("privacy")
    id_number = _id_number(int(live.tag, 16))
    phone = "139" + str(int(live.tag, 16) % 10**8).zfill(8)
    outcome = live.push(text_xml(who, f"我身份证{id_number}丢了怎么补，电话{phone}"))
    assert outcome.ok, outcome.failure
    assert live.user_turns(who) == 1
    raw = [id_number, id_number[:-1], phone]

    in_redis = [
        key
        for key in live.redis.scan_iter(count=1000)
        if live.redis.type(key) == "string" and any(r in (live.redis.get(key) or "") for r in raw)
    ]
    assert in_redis == []
    stored = live.redis.get(f"banshi:tracker:{who}") or ""
    assert id_number[:3] + "*" in stored  # masked, not dropped

    engine = make_engine(live.database_url)
    found = []
    with engine.connect() as conn:
        for table in conn.execute(sql_text("SELECT name FROM sqlite_master WHERE type='table'")):
            rows = conn.execute(sql_text(f'SELECT * FROM "{table[0]}"')).fetchall()
            found += [table[0] for row in rows if any(r in str(tuple(row)) for r in raw)]
    engine.dispose()
    assert found == []

    logs = Path(live.database_url.removeprefix("sqlite:///")).parent
    leaked = [
        p.name
        for p in logs.rglob("*")
        if p.is_file()
        and p.suffix in (".log", ".out")
        and any(r in p.read_text(errors="replace") for r in raw)
    ]
    assert leaked == []


# ---------------------------------------------------------------- several workers


def _rasa_workers(live: Live) -> list[int]:
    from app.run import _children

    for child in _children(live.pid):
        workers = _children(child)
        if len(workers) == WORKERS:
            return workers
    raise AssertionError("the Rasa server's workers were not found")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_one_citizens_messages_run_once_and_in_order_across_workers(live: Live) -> None:
    """test_stores' three-process ordering test on the real server: one citizen's pushes,
    sent faster than they are answered and spread over the workers, each run once, one at a
    time, in the order they arrived, and each answered (passively or by 客服消息)."""
    who = live.openid("order")
    said = [f"护照办理收费吗（第{i}问）" for i in range(1, 13)]
    workers = _rasa_workers(live)
    before = [_cpu_seconds(pid) for pid in workers]

    async def burst() -> list[PushOutcome]:
        pending = []
        for question in said:
            # a driver (a connection) each, as WeChat's servers would: either worker takes it
            driver = PushDriver(live.webhook, Account(TOKEN, APPID, AES_KEY, "plain"))
            pending.append((driver, asyncio.create_task(driver.push(text_xml(who, question)))))
            await asyncio.sleep(0.03)
        outcomes = [await task for _, task in pending]
        for driver, _ in pending:
            await driver.aclose()
        return outcomes

    outcomes = asyncio.run(burst())
    assert all(o.ok for o in outcomes), [o.failure for o in outcomes]
    passive = sum(1 for o in outcomes if o.reply is not None)
    by_cs = live.delivered(who, count=len(said) - passive)
    assert passive + len(by_cs) == len(said)  # every message answered, none twice
    stored = json.loads(live.redis.get(f"banshi:tracker:{who}") or "{}")
    turns = [e["text"] for e in stored["events"] if e.get("event") == "user"]
    assert turns == said  # once each, in the order they arrived
    used = [_cpu_seconds(pid) - start for pid, start in zip(workers, before, strict=True)]
    assert min(used) > 0.05, used  # both workers took turns


# ---------------------------------------------------------------- the tasks, end to end


def _next_working_day() -> date:
    import chinese_calendar

    day = date.today() + timedelta(days=1)
    while not chinese_calendar.is_workday(day):
        day += timedelta(days=1)
    return day


def test_a_booking_made_listed_and_cancelled_in_the_chat(live: Live) -> None:
    who = live.openid("booking")
    day = _next_working_day()
    id_number = _id_number(int(live.tag, 16) + 7)

    def answer(reply: str) -> str | None:
        if re.search(r"YY\d{12}", reply):
            return None
        if "回复“确认”" in reply:
            return "确认"
        if "身份证号码" in reply:
            return id_number
        if "手机号码" in reply:
            return "13800138000"
        if "姓名" in reply:
            return "张三"
        if "日期" in reply or "哪天" in reply:
            return f"{day.month}月{day.day}日"
        if "1." in reply or "1、" in reply:
            return "1"
        raise AssertionError(f"unexpected turn: {reply}")

    booked = live.converse(who, "我想预约办无犯罪记录证明", answer)
    number = re.search(r"YY\d{12}", booked)
    assert number, booked
    listed = live.talk(who, "我的预约")
    assert number.group(0) in listed
    stored = live.redis.get(f"banshi:tracker:{who}") or ""
    assert id_number not in stored and "13800138000" not in stored  # masked in the tracker

    def cancel(reply: str) -> str | None:
        if "已为您取消预约" in reply or "已取消" in reply:
            return None
        if "是" in reply and "取消" in reply:
            return "是"
        if "1." in reply:
            return "1"
        raise AssertionError(f"unexpected turn: {reply}")

    cancelled = live.converse(who, "取消预约", cancel)
    assert number.group(0) in cancelled


def test_a_complaint_answered_by_staff_and_rated(live: Live) -> None:
    """The citizen complains in the chat; staff answer (banshi tickets reply); the answer
    reaches the chat by 客服消息; staff close it; the citizen rates it 不满意 and a follow-up is
    opened for the 差评."""
    from banshi.ratings.models import Rating
    from banshi.tickets import cli as tickets

    who = live.openid("complaint")

    filed = live.converse(
        who, "我要投诉车管所窗口态度太差，排了两小时还被推来推去", answer_complaint_desk
    )
    number = re.search(r"GD\d{10,}", filed)
    assert number, filed
    engine = make_engine(live.database_url)
    with session_scope(engine) as session:
        tickets.reply(session, number.group(0), "您好，已核实并对窗口人员批评教育。", "staff-1")
    replies = live.delivered(who, count=1, timeout=30)
    assert any("批评教育" in r for r in replies), replies  # pushed by banshi run's outbox chore
    with session_scope(engine) as session:
        tickets.close(session, number.group(0), "staff-1")
    invitation = live.talk(who, "好的")
    assert "非常满意" in invitation, invitation
    rated = live.talk(who, "4")
    assert "不满意" in rated or "评价" in rated, rated
    with session_scope(engine) as session:
        levels = [r.level for r in session.execute(select(Rating)).scalars()]
    engine.dispose()
    assert "不满意" in levels or "dissatisfied" in levels, levels


def test_a_demand_survey_answered_in_the_chat(live: Live) -> None:
    """A survey loaded from its file is answered question by question through WeChat; the
    free text is stored masked; the response counts once."""
    from banshi.surveys.models import SurveyAnswer, SurveyResponse
    from banshi.surveys.store import load_survey_file

    engine = make_engine(live.database_url)
    with session_scope(engine) as session:
        load_survey_file(session, PROJECT_ROOT / "demo/surveys/demand-2026q4.yml", datetime.now())
    who = live.openid("survey")

    def answer(reply: str) -> str | None:
        if "问卷已填完" in reply:
            return None
        if "请回复问卷前的序号" in reply or "请回复序号选择" in reply:
            return "1"
        if "可多选" in reply:
            return "1 3"
        if "打1到5分" in reply:
            return "4"
        if "按先后顺序" in reply:
            return "1 2"
        if "跳过" in reply:
            return "跳过"
        if "直接输入您的想法" in reply or "具体是什么" in reply:
            return "网上申报总说系统繁忙，电话13800138000打不通"
        if "请回复序号" in reply:
            return "1"
        raise AssertionError(f"unexpected turn: {reply}")

    done = live.converse(who, "我想填问卷", answer)
    assert "问卷已填完" in done
    assert "问卷已填完" not in live.talk(who, "我想填问卷")  # once per citizen
    with session_scope(engine) as session:
        response = session.execute(
            select(SurveyResponse).where(SurveyResponse.openid == who)
        ).scalar_one()
        assert response.current is None  # complete
        texts_stored = [
            str(a.text)
            for a in session.execute(
                select(SurveyAnswer).where(SurveyAnswer.response_id == response.id)
            ).scalars()
            if getattr(a, "text", None)
        ]
    engine.dispose()
    assert not any("13800138000" in t for t in texts_stored)


def test_banshi_run_starts_the_staff_console_beside_the_assistant(live: Live) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            page = httpx.get(f"http://127.0.0.1:{live.console_port}/login", timeout=5)
            break
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    assert page.status_code == 200 and "登录" in page.text
