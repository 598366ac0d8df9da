"""End to end through the staff console: the citizen only through signed WeChat pushes, staff
only through the console ``banshi run`` starts (over HTTP: the real sign-in with its CSRF
token, the real forms), what reaches the citizen only as the stand-in records it (客服消息).

- a complaint: filed in the chat, found in the console's queue, answered through the reply
  form (the answer arrives as 客服消息), closed; the citizen rates it 不满意 and the follow-up
  is on the 差评 board;
- 转人工: the citizen appears in the live inbox while it waits (long poll), staff take the
  conversation, the citizen's message reaches the staff page through the long poll within a
  second or two while the bot stays silent, staff's answer goes out as 客服消息, closing hands
  the citizen back to the assistant, which says so and answers again.

The assistant (``live``, conftest.py) keeps 转人工 open at any hour (tests/wechat/e2e_actions.py).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from banshi.db import make_engine, session_scope
from banshi.handoff import texts as handoff_texts
from banshi.staff.accounts import add_staff
from banshi.staff.passwords import PasswordHashing
from tests.wechat.conftest import Live, answer_complaint_desk
from wechat_standin.driver import text_xml

pytestmark = [pytest.mark.model, pytest.mark.redis]

PASSWORD = "Hall-desk-2026!"
HALL = "H139900001"  # 示范市政务服务中心, in the demo halls
CHEAP = PasswordHashing(time_cost=1, memory_cost_kib=8, parallelism=1)  # tests only
HTMX = {"HX-Request": "true"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SEEN = re.compile(r'hx-get="/handoff/(?:\d+/log|inbox)\?seen=([^"]+)"')


class Console:
    """A member of staff's browser, reduced to HTTP: the CSRF token of each form, and the
    console's cookies — ``Secure``, which browsers send to localhost over plain HTTP and
    Python's cookie jar does not (nor can httpx be told to), so they are kept here."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=40, follow_redirects=False)
        self.cookies: dict[str, str] = {}
        self.token = ""

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, path, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, value = header.split(";", 1)[0].partition("=")
            if value and "max-age=0" not in header.lower():
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response

    def sign_in(self, username: str) -> None:
        form = self._send("GET", "/login")
        signed = self._send(
            "POST",
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf(form.text)},
        )
        assert signed.status_code == 303, signed.text
        self.token = csrf(self._send("GET", "/").text)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = self._send("GET", path, **kwargs)
        assert response.status_code in (200, 286), (path, response.status_code)
        return response

    def post(self, path: str, **fields: str) -> httpx.Response:
        response = self._send("POST", path, data={**fields, "csrf_token": self.token})
        assert response.status_code == 303, (path, response.status_code, response.text[-2000:])
        return response


def csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no form with a CSRF token"
    return found.group(1)


def seen_in(html: str) -> str:
    found = _SEEN.search(html)
    assert found, "the page does not ask for news"
    return found.group(1)


@pytest.fixture(scope="module")
def staff(live: Live) -> dict[str, str]:
    """A dispatcher, a reviewer and window staff of this session, in banshi run's database."""
    names = {role: f"{role}-{live.tag}" for role in ("dispatcher", "reviewer", "window")}
    engine = make_engine(live.database_url)
    with session_scope(engine) as session:
        for role, name in names.items():
            hall = HALL if role == "window" else None  # window staff serve in a hall
            add_staff(session, name, role, hall, PASSWORD, hashing=CHEAP)
    engine.dispose()
    return names


@pytest.fixture
def console(live: Live) -> Iterator[Console]:
    base = f"http://127.0.0.1:{live.console_port}"
    deadline = time.monotonic() + 60  # banshi run starts the console beside the assistant
    while True:
        try:
            httpx.get(f"{base}/login", timeout=5)
            break
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    c = Console(base)
    yield c
    c.http.close()


def delivered_with(live: Live, who: str, wanted: str, timeout: float = 30) -> str:
    """The 客服消息 to ``who`` holding ``wanted`` (banshi run's outbox sends every 2 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for text in live.standin.api.delivered(who):
            if wanted in text:
                return text
        time.sleep(0.2)
    raise AssertionError(f"no 客服消息 with {wanted!r}: {live.standin.api.delivered(who)}")


def test_a_complaint_answered_in_the_console_and_rated(
    live: Live, console: Console, staff: dict[str, str]
) -> None:
    who = live.openid("cconsole")

    filed = live.converse(
        who, "我要投诉不动产登记中心窗口态度太差，来回跑了三趟", answer_complaint_desk
    )
    found = re.search(r"GD\d{10,}", filed)
    assert found, filed
    number = found.group(0)

    console.sign_in(staff["dispatcher"])
    assert f'<tr data-number="{number}"' in console.get("/tickets?kind=complaint").text
    page = console.get(f"/tickets/{number}").text
    assert 'id="reply"' in page
    reply = "您好，您反映的情况已核实，已对窗口工作人员进行批评教育，并安排专人引导。"
    done = console.post(f"/tickets/{number}/reply", text=reply)
    assert done.headers["location"].endswith("ok=reply")
    assert reply in delivered_with(live, who, "已对窗口工作人员进行批评教育")
    console.post(f"/tickets/{number}/close", note="")
    invitation = delivered_with(live, who, "非常满意")  # the invitation to rate, once
    assert number in invitation or "工单" in invitation, invitation

    rated = live.talk(who, "4")  # 不满意
    assert "不满意" in rated or "评价" in rated, rated
    for _ in range(3):  # optional indicators and comment, when asked
        if "跳过" not in rated and "意见" not in rated:
            break
        rated = live.talk(who, "跳过")

    reviewer = Console(console.base)
    reviewer.sign_in(staff["reviewer"])
    ratings = reviewer.get("/ratings").text
    board = re.search(r'<section class="card[^"]*" id="board">(.*?)</section>', ratings, re.S)
    assert board is not None and number in board.group(1), "no follow-up on the 差评 board"
    row = re.search(rf"<tr data-rating=\"(\d+)\">(?:(?!</tr>).)*{number}", board.group(1), re.S)
    assert row is not None and "不满意" in row.group(0)
    reviewer.http.close()


def test_a_conversation_held_by_a_person_and_handed_back(
    live: Live, console: Console, staff: dict[str, str]
) -> None:
    # staff see a citizen by the OpenID's last 4 characters: make them this citizen's own
    who = live.openid("hconsole")[:-4] + uuid.uuid4().hex[:4]
    console.sign_in(staff["window"])
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the inbox asks for news before the citizen asks for a person
        inbox_seen = seen_in(console.get("/handoff").text)
        news: Future[httpx.Response] = pool.submit(
            console.get, f"/handoff/inbox?seen={inbox_seen}", headers=HTMX
        )
        time.sleep(0.3)
        asked = live.push(text_xml(who, "转人工"))
        assert asked.ok and asked.reply is not None and "转接人工服务" in asked.reply, asked.reply
        pushed = time.monotonic()
        inbox = news.result(timeout=30).text
        assert time.monotonic() - pushed < 3.0
        row = re.search(rf'<tr data-handoff="(\d+)">(?:(?!</tr>).)*…{who[-4:]}', inbox, re.S)
        assert row is not None, inbox
        handoff_id = row.group(1)
        turns = live.user_turns(who)

        taken = console.post(f"/handoff/{handoff_id}/take")
        assert taken.headers["location"] == f"/handoff/{handoff_id}"
        talk = console.get(f"/handoff/{handoff_id}").text
        assert "人工服务中" in talk
        log: Future[httpx.Response] = pool.submit(
            console.get, f"/handoff/{handoff_id}/log?seen={seen_in(talk)}", headers=HTMX
        )
        time.sleep(0.3)
        question = f"我的社保卡丢了，补办要带什么？（{uuid.uuid4().hex[:4]}）"
        typed = time.monotonic()
        said = live.push(text_xml(who, question))
        assert said.ok and said.reply is None  # the bot stays silent: a person holds it
        line = log.result(timeout=30)
        assert question in line.text and time.monotonic() - typed < 2.0
    assert live.user_turns(who) == turns  # the assistant never saw it

    answer = "您好，社保卡补办请带身份证到任一社保卡服务网点，当场可取临时卡。"
    console.post(f"/handoff/{handoff_id}/send", text=answer)
    assert delivered_with(live, who, answer) == handoff_texts.STAFF_PREFIX + answer
    closed = console.post(f"/handoff/{handoff_id}/close")
    assert closed.headers["location"].endswith("ok=closed")
    ended = delivered_with(live, who, "本次人工服务已结束")
    assert "智能助手" in ended

    back = live.talk(who, "护照办理收费吗")  # the assistant answers again
    assert "护照" in back, back
    assert live.user_turns(who) == turns + 1
    log_after = console.get(f"/handoff/{handoff_id}/log").text
    assert "护照办理收费吗" not in log_after  # no longer logged for staff
