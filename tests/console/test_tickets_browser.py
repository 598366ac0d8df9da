"""Issue 16's pages in headless Chromium on a phone-sized screen: a dispatcher answers a
ticket through the reply box; window staff take a 转人工 conversation and see the citizen's
message appear without reloading (htmx polling under the console's Content-Security-Policy),
then answer it; no page is wider than the phone, and the browser reports no error."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from banshi.db import session_scope
from banshi.handoff.service import HandoffService
from banshi.tickets.kinds import TicketKind
from banshi.tickets.models import OutboxMessage
from console import create_app
from console.pages import handoff, ratings, tickets
from tests.console.browser import CHROMIUM, Tab, chromium, serve_in_thread, tab
from tests.console.conftest import NOW, PASSWORD, PHONE, STAFF, Site, services_for
from tests.console.test_tickets_pages import CIPHER, DESK, file, with_calendar

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium"),
    pytest.mark.parametrize("site", ["sqlite"], indirect=True),
]


@pytest.fixture(scope="module")
def people(site: Site) -> HandoffService:
    return HandoffService(with_calendar(site), CIPHER)


@pytest.fixture(scope="module")
def console(site: Site, people: HandoffService) -> Iterator[tuple[str, str]]:
    """(the console's base URL with the three pages, Chromium's DevTools URL)."""
    services = services_for(
        site.engine,
        pages=[tickets.page(DESK), handoff.page(people), ratings.page(CIPHER)],
        cards=[tickets.card(DESK), handoff.card(people), ratings.card()],
    )
    with serve_in_thread(create_app(services)) as base, chromium() as devtools:
        yield base, devtools


async def sign_in(page: Tab, base: str, role: str) -> None:
    await page.phone()
    await page.open(f"{base}/login")
    await page.submit("#login", username=STAFF[role], password=PASSWORD)


async def until(page: Tab, selector: str, wanted: str, seconds: float = 6.0) -> str:
    """The text of ``selector`` once it holds ``wanted`` (or when time is up)."""
    text = ""
    for _ in range(int(seconds / 0.1)):
        text = await page.text(selector)
        if wanted in text:
            break
        await asyncio.sleep(0.1)
    return text


def test_a_dispatcher_answers_a_ticket_on_a_phone(console: tuple[str, str], site: Site) -> None:
    base, devtools = console
    number = file(site.engine, TicketKind.CONSULT, "请问新生儿落户需要哪些材料？")
    answer = "您好，新生儿落户请携带出生医学证明、父母双方户口簿和身份证，到户籍窗口办理。"

    async def scenario() -> list[str]:
        problems: list[str] = []
        async with tab(devtools) as page:
            await sign_in(page, base, "dispatcher")
            for path in ("/tickets", "/tickets?due=near", f"/tickets/{number}"):
                await page.open(base + path)
                if await page.overflows():
                    problems.append(f"{path} is wider than a phone")
            await page.submit("#reply", text=answer)
            assert tickets.DONE["reply"] in await page.text(".flash.ok")
            assert answer in await page.text("#replies")
            assert await page.text("#state") == "答复"
            problems.extend(page.errors)
        return problems

    assert asyncio.run(scenario()) == []
    with session_scope(site.engine) as session:
        owed = session.execute(select(OutboxMessage.text).where(OutboxMessage.ref == number))
        assert answer in owed.scalar_one()


def test_window_staff_hold_a_live_conversation(
    console: tuple[str, str], site: Site, people: HandoffService
) -> None:
    base, devtools = console
    openid = "oB" + uuid.uuid4().hex[:26]
    assert people.request(openid, NOW, "我想咨询一下护照加急")[1]
    [mine] = [w.id for w in people.list_waiting(NOW) if w.who == "…" + openid[-4:]]

    async def scenario() -> list[str]:
        problems: list[str] = []
        async with tab(devtools) as page:
            await sign_in(page, base, "window")
            await page.open(f"{base}/handoff")
            assert "我想咨询一下护照加急" in await page.text("#waiting")
            selector = f'[data-handoff="{mine}"] form[action$="/take"] button'
            async with page.loading():
                await page.js(f"document.querySelector({json.dumps(selector)}).click()")
            assert await page.text("#handoff-state") == "人工服务中"
            if await page.overflows():
                problems.append("the conversation is wider than a phone")
            # the citizen types: it appears without a reload, masked
            people.record(openid, f"我的手机号{PHONE}，能加急吗？", NOW)
            shown = await until(page, "#log", "能加急吗")
            assert "138****5678" in shown and PHONE not in shown
            await page.js(
                "(() => { const f = document.querySelector('#send');"
                " f.elements.text.value = '可以，加急一般 5 个工作日出证。';"
                " f.querySelector('button').click(); })()"
            )
            assert "加急一般 5 个工作日出证" in await until(page, "#log", "加急一般 5 个工作日出证")
            assert await page.js("document.querySelector('#send textarea').value") == ""
            for path in ("/handoff", "/ratings", "/"):  # /ratings: the 403 page
                await page.open(base + path)
                if await page.overflows():
                    problems.append(f"{path} is wider than a phone")
            problems.extend(page.errors)
        return problems

    assert asyncio.run(scenario()) == []


def test_ratings_pages_fit_a_phone(console: tuple[str, str]) -> None:
    base, devtools = console

    async def scenario() -> list[str]:
        problems: list[str] = []
        async with tab(devtools) as page:
            await sign_in(page, base, "reviewer")
            for path in ("/ratings", "/ratings?bad=1&days=30", "/"):
                await page.open(base + path)
                if await page.overflows():
                    problems.append(f"{path} is wider than a phone")
            problems.extend(page.errors)
        return problems

    assert asyncio.run(scenario()) == []
