"""The long poll in headless Chromium, under the console's Content-Security-Policy: htmx asks
again as soon as an answer arrives (also an empty-handed one, after the long poll's time), so
a citizen's line and a new waiting citizen appear within a second, not at the 5-second retry;
one question at a time; no browser error."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator

import pytest

from banshi.handoff.service import HandoffService
from console import create_app
from console.pages import handoff
from tests.console.browser import CHROMIUM, Tab, chromium, serve_in_thread, tab
from tests.console.conftest import NOW, PASSWORD, STAFF, Site, services_for
from tests.console.test_tickets_pages import CIPHER, with_calendar

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium"),
    pytest.mark.parametrize("site", ["sqlite"], indirect=True),
]
LONG_POLL = 1.0  # seconds: short, so that the test sees empty-handed answers re-arm the page


@pytest.fixture(scope="module")
def people(site: Site) -> HandoffService:
    return HandoffService(with_calendar(site), CIPHER)


@pytest.fixture(scope="module")
def console(site: Site, people: HandoffService) -> Iterator[tuple[str, str]]:
    services = services_for(site.engine, pages=[handoff.page(people, long_poll=LONG_POLL)])
    with serve_in_thread(create_app(services)) as base, chromium() as devtools:
        yield base, devtools


async def appears(page: Tab, selector: str, wanted: str, seconds: float) -> float:
    """Seconds until ``selector`` holds ``wanted``; infinity when it did not in time."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if wanted in await page.text(selector):
            return time.monotonic() - began
        await asyncio.sleep(0.05)
    return float("inf")


async def asked(page: Tab, path: str) -> int:
    """How many long-poll questions the page has sent to ``path``."""
    script = (
        "performance.getEntriesByType('resource')"
        f".filter(e => e.name.includes({json.dumps(path + '?seen=')})).length"
    )
    return int(await page.js(script))


def test_lines_and_citizens_appear_within_a_second(
    console: tuple[str, str], people: HandoffService
) -> None:
    base, devtools = console
    openid = "oP" + uuid.uuid4().hex[:26]

    async def scenario() -> list[str]:
        async with tab(devtools) as page:
            await page.open(f"{base}/login")
            await page.submit("#login", username=STAFF["window"], password=PASSWORD)
            await page.open(f"{base}/handoff")
            await asyncio.sleep(2.5 * LONG_POLL)  # empty-handed answers: the page asks again
            before = await asked(page, "/handoff/inbox")
            assert before >= 2, before
            came = asyncio.to_thread(people.request, openid, NOW, "我想问问居住证")
            await came
            assert await appears(page, "#waiting", "我想问问居住证", 5) < 1.0
            [mine] = [w.id for w in people.list_waiting(NOW) if w.who == "…" + openid[-4:]]
            selector = f'[data-handoff="{mine}"] form[action$="/take"] button'
            async with page.loading():
                await page.js(f"document.querySelector({json.dumps(selector)}).click()")
            await asyncio.sleep(2.5 * LONG_POLL)
            assert await asked(page, f"/handoff/{mine}/log") >= 2
            await asyncio.to_thread(people.record, openid, "请问要多久能拿到", NOW)
            assert await appears(page, "#log", "请问要多久能拿到", 5) < 1.0
            # one question at a time: about one a long poll, plus one per change
            questions = await asked(page, f"/handoff/{mine}/log")
            assert questions <= 2.5 + 2 + 2, questions
            return page.errors

    assert asyncio.run(scenario()) == []
