"""The console in headless Chromium: every page for every role on a phone-sized screen,
sign-in, a form without its CSRF token refused, masking and the audit trail of a reveal,
the htmx search under the console's Content-Security-Policy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from console import create_app, texts
from tests.console.browser import CHROMIUM, Tab, chromium, serve_in_thread, tab
from tests.console.conftest import CITIZEN, PASSWORD, PHONE, STAFF, Site, services_for
from tests.console.test_roles import pages

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium"),
    pytest.mark.parametrize("site", ["sqlite"], indirect=True),
]


@pytest.fixture(scope="module")
def console(site: Site) -> Iterator[tuple[str, str]]:
    """(the console's base URL, Chromium's DevTools URL)."""
    with serve_in_thread(create_app(services_for(site.engine))) as base, chromium() as devtools:
        yield base, devtools


async def sign_in(page: Tab, base: str, username: str, password: str = PASSWORD) -> None:
    await page.open(f"{base}/login")
    await page.submit("#login", username=username, password=password)


def test_every_page_for_every_role_on_a_phone(console: tuple[str, str], site: Site) -> None:
    base, devtools = console

    async def visit(role: str) -> list[str]:
        problems: list[str] = []
        async with tab(devtools) as page:
            await page.phone()
            await sign_in(page, base, STAFF[role])
            assert await page.title() == "概览 · 办事助手 · 工作台"
            for path, allowed in pages(site).items():
                if path.endswith(".csv"):
                    continue  # a download, not a page
                await page.open(base + path)
                title = await page.title()
                if (role in allowed) == title.startswith("403"):
                    problems.append(f"{role} {path}: {title}")
                if not allowed and texts.FORBIDDEN not in await page.text():
                    problems.append(f"{role} {path}: no refusal message")
                if await page.overflows():
                    problems.append(f"{role} {path}: wider than a phone")
            assert await page.js("typeof htmx") == "object"  # served locally, allowed by the CSP
            problems.extend(f"{role}: {e}" for e in page.errors)
        return problems

    async def everyone() -> list[str]:
        found: list[str] = []
        for role in STAFF:
            found.extend(await visit(role))
        return found

    assert asyncio.run(everyone()) == []


def test_sign_in_csrf_masking_and_the_audit_of_a_reveal(console: tuple[str, str]) -> None:
    base, devtools = console

    async def scenario() -> None:
        async with tab(devtools) as page:
            await sign_in(page, base, "window", "not the password")
            assert texts.LOGIN_WRONG in await page.text(".flash.error")
            await sign_in(page, base, "window")
            await page.open(f"{base}/conversations?openid={CITIZEN}")
            shown = await page.text("ol.chat")
            assert "138****5678" in shown and PHONE not in shown
            # A form stripped of its token (as a forged cross-site post would be) is refused.
            await page.js("document.querySelector('#reveal [name=csrf_token]').remove()")
            async with page.loading():
                await page.js("document.querySelector('#reveal button').click()")
            assert (await page.title()).startswith("403")
            assert texts.CSRF_REFUSED in await page.text()
            await page.open(f"{base}/conversations?openid={CITIZEN}")
            async with page.loading():
                await page.js("document.querySelector('#reveal button').click()")
            assert PHONE in await page.text("ol.chat")
            assert texts.REVEALED in await page.text()
        async with tab(devtools) as admin:
            await sign_in(admin, base, "admin")
            await admin.open(f"{base}/staff/audit?actor=window&action=reveal")
            log = await admin.text("#audit")
            assert "查看完整个人信息" in log and "conversation:oCit…0001" in log
            assert CITIZEN not in log

    asyncio.run(scenario())


def test_the_catalog_search_updates_as_one_types(console: tuple[str, str]) -> None:
    base, devtools = console

    async def scenario() -> None:
        async with tab(devtools) as page:
            await sign_in(page, base, "dispatcher")
            await page.open(f"{base}/catalog")
            await page.js(
                "(() => { const q = document.querySelector('#q'); q.value = '身份证';"
                " q.dispatchEvent(new Event('input', {bubbles: true})); })()"
            )
            for _ in range(100):
                if "居民身份证首次申领" in await page.text("#results"):
                    break
                await asyncio.sleep(0.05)
            assert "居民身份证首次申领" in await page.text("#results")
            assert await page.js("location.search") == "?q=%E8%BA%AB%E4%BB%BD%E8%AF%81"
            assert page.errors == []

    asyncio.run(scenario())
