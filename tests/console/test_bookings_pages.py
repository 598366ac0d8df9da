"""预约 and 预约设置 in the console: who may open and do what (per role, 403 otherwise), a
hall's day masked and limited to the window's own hall, check-in and no-show audited, a reveal
audited before anything is shown, the masked export, the dashboard cards, loading a State
Council notice, closing a hall for a day (the disrupted bookings listed and their holders
told), the policy of an item with its sources and overrides; and check-in in a real browser."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from banshi.bookings import book
from banshi.bookings.config import BookingConfig
from banshi.bookings.models import BookingPolicyOverride
from banshi.bookings.notify import affected_bookings
from banshi.bookings.people import Applicant
from banshi.calendar import seed_from_chinesecalendar
from banshi.calendar.models import CalendarDay, CalendarYear, HallDay
from banshi.db import session_scope
from banshi.privacy.crypto import FieldCipher
from banshi.privacy.idnumbers import id_check_char
from banshi.staff.models import AuditEntry
from console import create_app, texts
from console.pages import bookings, calendar
from tests.console.browser import CHROMIUM, chromium, serve_in_thread, tab
from tests.console.conftest import (
    HALL,
    PASSWORD,
    STAFF,
    Clock,
    Site,
    refused,
    services_for,
    signed_in,
)

RENEWAL = "11139900MB1A00010P3002011001002"  # 居民身份证换领 at HALL (示范市政务服务中心)
PERMIT = "11139900MB1A00010P3002011004000"  # 居住证申领 at the community centre
COMMUNITY = "H139900004"
BOOKED_AT = datetime(2026, 12, 7, 10, 0)
TUESDAY, WEDNESDAY = date(2026, 12, 8), date(2026, 12, 9)
ON_THE_DAY = datetime(2026, 12, 8, 10, 40)  # the console's clock on Tuesday morning
CIPHER = FieldCipher(b"console-bookings-cipher-0123456789abcdef")
NOTICE = Path(__file__).resolve().parents[2] / "demo" / "calendar" / "2027.yml"
A, W, D, R = "admin", "window", "dispatcher", "reviewer"


@dataclass(frozen=True)
class Made:
    """The bookings this module made on the shared site, each for one test."""

    check_in: str  # Tuesday 09:00
    no_show: str  # Tuesday 10:00
    reveal: str  # Tuesday 11:00
    browser: str  # Tuesday 13:30
    other_hall: str  # Tuesday, at the community centre
    wednesday: str  # Wednesday 09:00 (a hall closed that day)


def applicant(n: int) -> Applicant:
    first17 = f"11010519850203{n:02d}1"
    return Applicant(f"王{'一二三四五六七八'[n]}", f"137{n:08d}", first17 + id_check_char(first17))


@pytest.fixture(scope="module")
def made(site: Site) -> Made:
    with session_scope(site.engine) as session:
        seed_from_chinesecalendar(session, [2026])

    def booked(
        n: int, start: str, day: date = TUESDAY, code: str = RENEWAL, hall: str = HALL
    ) -> str:
        confirmation = book(
            site.engine,
            task_code=code,
            hall_code=hall,
            day=day,
            start=start,
            applicant=applicant(n),
            openid=f"oConsoleBooking{n:02d}",
            cipher=CIPHER,
            config=BookingConfig(),
            now=BOOKED_AT,
        )
        return str(confirmation.booking.number)

    return Made(
        booked(1, "09:00"),
        booked(2, "10:00"),
        booked(3, "11:00"),
        booked(4, "13:30"),
        booked(5, "10:00", code=PERMIT, hall=COMMUNITY),
        booked(6, "09:00", day=WEDNESDAY),
    )


class Told:
    """A stand-in for the WeChat push the composition root gives the calendar page."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return (
            "受影响预约的通知：已推送 1 条（客服消息 1，模板消息 0），0 条在群众下次发消息时告知。"
        )


def client_for(make_client: Any, told: Told | None = None, now: datetime = ON_THE_DAY) -> Any:
    config = BookingConfig()
    return make_client(
        pages=[bookings.page(CIPHER, config), calendar.page(config, told)],
        cards=[bookings.card(), calendar.card()],
        clock=Clock(now),
    )


def audited(site: Site, action: str, target: str) -> list[tuple[str, str]]:
    with session_scope(site.engine) as session:
        rows = session.execute(
            select(AuditEntry.actor, AuditEntry.summary).where(
                AuditEntry.action == action, AuditEntry.target == target
            )
        ).all()
    return [(str(a), str(s)) for a, s in rows]


PAGES = {
    "/bookings": {A, W},
    "/bookings?date=2026-12-08": {A, W},
    "/bookings/export.csv?date=2026-12-08": {A, W},
    "/calendar": {A},
    f"/calendar/policy?item={RENEWAL}": {A},
}
ACTIONS = {
    "/bookings/check-in": ({A, W}, {"number": "YY000000000000"}),  # no such booking: 404
    "/bookings/no-show": ({A, W}, {"number": "YY000000000000"}),
    "/bookings/reveal": ({A, W}, {"number": "YY000000000000"}),
    "/calendar/hall-day": ({A}, {"hall": HALL, "day": "", "kind": "closed"}),  # incomplete: 400
    "/calendar/hall-day/clear": ({A}, {"hall": HALL, "day": ""}),
    "/calendar/policy/set": ({A}, {"item": RENEWAL, "field": "daily_quota", "value": "x"}),
    "/calendar/policy/clear": ({A}, {"item": RENEWAL, "field": "nothing", "scope": ""}),
}


@pytest.mark.parametrize("role", list(STAFF))
def test_each_role_opens_its_pages_and_is_refused_the_others(
    role: str, make_client: Any, made: Made
) -> None:
    client = client_for(make_client)
    token = signed_in(client, STAFF[role])
    for path, allowed in PAGES.items():
        response = client.get(path)
        if role in allowed:
            assert response.status_code == 200, (role, path, refused(response.text))
        else:
            assert response.status_code == 403, (role, path)
            assert refused(response.text) == texts.FORBIDDEN
    for path, (allowed, form) in ACTIONS.items():
        response = client.post(path, data={**form, "csrf_token": token})
        if role in allowed:
            assert response.status_code in (303, 400, 404), (role, path, response.status_code)
        else:
            assert response.status_code == 403, (role, path)
    navigation = re.findall(r'<nav class="main".*?</nav>', client.get("/").text, re.S)[0]
    assert ("预约</a>" in navigation) == (role in (A, W))
    assert ("预约设置</a>" in navigation) == (role == A)


def test_a_window_sees_its_own_halls_day_masked(make_client: Any, made: Made) -> None:
    window = client_for(make_client)
    signed_in(window, "window")
    page = window.get(f"/bookings?date=2026-12-08&hall={COMMUNITY}").text  # the hall is ignored
    assert "示范市政务服务中心" in page and made.check_in in page and made.no_show in page
    assert made.other_hall not in page and "社区事务受理服务中心" not in page
    assert "王*" in page and "137****0001" in page and "13700000001" not in page
    assert re.search(r'data-window="F01"', page)  # grouped by window
    assert '<select name="hall"' not in page  # nothing to switch to
    admin = client_for(make_client)
    signed_in(admin, "admin")
    other = admin.get(f"/bookings?date=2026-12-08&hall={COMMUNITY}").text
    assert made.other_hall in other and made.check_in not in other
    assert admin.get("/bookings?date=12/08").status_code == 400


def test_check_in_and_no_show_are_audited_and_refused_with_reasons(
    make_client: Any, made: Made, site: Site
) -> None:
    window = client_for(make_client)
    token = signed_in(window, "window")
    done = window.post("/bookings/check-in", data={"number": made.check_in, "csrf_token": token})
    assert done.status_code == 303 and "done=checked_in" in done.headers["location"]
    page = window.get(done.headers["location"]).text
    assert "已签到。" in page
    assert re.search(rf'data-number="{made.check_in}" data-status="checked_in"', page)
    assert audited(site, "check_in", f"booking:{made.check_in}") == [
        ("window", f"签到 {made.check_in}")
    ]
    again = window.post("/bookings/check-in", data={"number": made.check_in, "csrf_token": token})
    assert again.status_code == 303  # already checked in: nothing changes, said again

    early = window.post("/bookings/no-show", data={"number": made.reveal, "csrf_token": token})
    assert early.status_code == 409 and "30 分钟内到场都算按时" in early.text  # 11:00 slot
    late = window.post("/bookings/no-show", data={"number": made.no_show, "csrf_token": token})
    assert late.status_code == 303
    assert audited(site, "booking_no_show", f"booking:{made.no_show}") == [
        ("window", f"记录爽约 {made.no_show}")
    ]
    foreign = window.post(
        "/bookings/check-in", data={"number": made.other_hall, "csrf_token": token}
    )
    assert foreign.status_code == 403 and refused(foreign.text) == bookings.OTHER_HALL
    wrong_day = window.post(
        "/bookings/check-in", data={"number": made.wednesday, "csrf_token": token}
    )
    assert wrong_day.status_code == 409 and "只能在预约当天签到" in wrong_day.text


def test_a_reveal_is_audited_and_shows_one_booking_in_full(
    make_client: Any, made: Made, site: Site
) -> None:
    window = client_for(make_client)
    token = signed_in(window, "window")
    person = applicant(3)
    assert person.mobile not in window.get("/bookings?date=2026-12-08").text
    shown = window.post("/bookings/reveal", data={"number": made.reveal, "csrf_token": token})
    assert shown.status_code == 200
    assert person.name in shown.text and person.mobile in shown.text
    assert person.id_number in shown.text and bookings.REVEALED in shown.text
    assert applicant(1).mobile not in shown.text  # only the one asked for
    [(actor, summary)] = audited(site, "reveal", f"booking:{made.reveal}")
    assert actor == "window" and "查看完整预约人" in summary and person.mobile not in summary
    foreign = window.post("/bookings/reveal", data={"number": made.other_hall, "csrf_token": token})
    assert (
        foreign.status_code == 403 and audited(site, "reveal", f"booking:{made.other_hall}") == []
    )


def test_the_days_export_is_masked_and_audited(make_client: Any, made: Made, site: Site) -> None:
    window = client_for(make_client)
    signed_in(window, "window")
    response = window.get("/bookings/export.csv?date=2026-12-08")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].endswith('bookings-H139900001-20261208.csv"')
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("预约编号,事项,大厅,窗口,日期,时段,状态,姓名（打码）")
    assert made.browser in text and "137****0004" in text and made.other_hall not in text
    assert applicant(4).mobile not in text and applicant(4).id_number not in text
    [(actor, summary)] = audited(site, "export", f"bookings:{HALL}:2026-12-08")[-1:]
    assert actor == "window" and "已打码" in summary


def test_the_dashboard_cards_replace_their_placeholders(make_client: Any, made: Made) -> None:
    window = client_for(make_client)
    signed_in(window, "window")
    page = window.get("/").text
    cards = dict(
        re.findall(r'data-card="(\w+)">\s*<h2>[^<]*</h2>\s*<p class="value">([^<]*)</p>', page)
    )
    assert int(cards["bookings"]) >= 4 and cards["calendar"] == "缺 2027 年"
    assert "示范市政务服务中心：待签到" in page and "社区事务受理服务中心" not in page
    assert "2027年节假日安排尚未录入" in page
    assert 'href="/calendar"' not in page  # the calendar page is the admin's
    admin = client_for(make_client)
    signed_in(admin, "admin")
    assert 'class="more" href="/calendar"' in admin.get("/").text
    assert "缺 2027 年" in admin.get("/catalog").text  # the catalog page shows the calendar card


def test_loading_the_states_notice_ends_the_warning(make_client: Any, site: Site) -> None:
    admin = client_for(make_client)
    token = signed_in(admin, "admin")
    assert "2027年节假日安排尚未录入" in admin.get("/calendar").text
    bad = b"year: 2027\nsource: x\nholidays:\n  - 2027-02-30\n"
    refused_file = admin.post(
        "/calendar/load",
        data={"csrf_token": token},
        files={"file": ("2027.yml", bad, "text/yaml")},
    )
    assert refused_file.status_code == 400 and "第4行" in refused_file.text
    empty = admin.post("/calendar/load", data={"csrf_token": token, "text": "  "})
    assert empty.status_code == 400 and calendar.NO_FILE in empty.text
    try:
        loaded = admin.post(
            "/calendar/load",
            data={"csrf_token": token},
            files={"file": ("2027.yml", NOTICE.read_bytes(), "text/yaml")},
        )
        assert loaded.status_code == 303
        page = admin.get(loaded.headers["location"]).text
        assert "已录入 2027 年节假日安排。" in page and 'data-year="2027"' in page
        assert "示例（未经核对" in page and "2027年节假日安排尚未录入" not in page
        assert audited(site, "calendar_loaded", "calendar:2027")[0][0] == "admin"
    finally:
        with session_scope(site.engine) as session:
            session.execute(delete(CalendarDay).where(CalendarDay.year == 2027))
            session.execute(delete(CalendarYear).where(CalendarYear.year == 2027))


def test_closing_a_hall_for_a_day_lists_and_tells_the_bookings_it_disrupts(
    make_client: Any, made: Made, site: Site
) -> None:
    told = Told()
    admin = client_for(make_client, told)
    token = signed_in(admin, "admin")
    bad = admin.post(
        "/calendar/hall-day",
        data={
            "hall": HALL,
            "day": "2026-12-09",
            "kind": "hours",
            "periods": "上午",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 400 and calendar.BAD_PERIODS in bad.text
    form = {"hall": HALL, "day": "2026-12-09", "kind": "closed", "note": "停电检修"}
    closed = admin.post("/calendar/hall-day", data={**form, "csrf_token": token})
    try:
        assert closed.status_code == 200 and "临时闭厅" in closed.text
        assert made.wednesday in closed.text and "王*" in closed.text
        assert told.calls == 1 and "已推送 1 条" in closed.text
        target = f"hall:{HALL}:2026-12-09"
        assert audited(site, "hall_day_set", target)[-1][0] == "admin"
        listed = admin.get("/calendar").text
        assert 'data-day="2026-12-09"' in listed and "停电检修" in listed
        with session_scope(site.engine) as session:  # what the push claims as it tells them
            assert [a.number for a in affected_bookings(session, TUESDAY, ON_THE_DAY)] == [
                made.wednesday
            ]
        day = admin.get(f"/bookings?date=2026-12-09&hall={HALL}").text
        assert re.search(rf'id="affected".*{made.wednesday}.*大厅当天闭厅.*已告知', day, re.S)
    finally:
        cleared = admin.post(
            "/calendar/hall-day/clear",
            data={"hall": HALL, "day": "2026-12-09", "csrf_token": token},
        )
    assert cleared.status_code == 303
    assert audited(site, "hall_day_cleared", f"hall:{HALL}:2026-12-09")[-1][0] == "admin"
    with session_scope(site.engine) as session:
        assert session.execute(select(HallDay).where(HallDay.hall_code == HALL)).first() is None
    opened = admin.post(  # an extra opening day disrupts nobody and tells nobody
        "/calendar/hall-day",
        data={"hall": HALL, "day": "2026-12-13", "kind": "open", "csrf_token": token},
    )
    assert opened.status_code == 200 and "当天没有受影响的预约" in opened.text and told.calls == 1
    admin.post(
        "/calendar/hall-day/clear", data={"hall": HALL, "day": "2026-12-13", "csrf_token": token}
    )


def test_the_policy_shows_each_values_source_and_takes_overrides(
    make_client: Any, site: Site
) -> None:
    admin = client_for(make_client)
    token = signed_in(admin, "admin")

    def value_of(page: str, name: str) -> list[str]:
        row = re.search(rf'<tr data-field="{name}">(.*?)</tr>', page, re.S)
        assert row, name
        return [
            re.sub(r"\s+", " ", c).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
        ]

    page = admin.get(f"/calendar/policy?item={RENEWAL}").text
    assert value_of(page, "daily_quota")[1:] == ["60", "事项目录字段", "SCHEDULE_NUM=60"]
    assert value_of(page, "horizon")[2] in ("系统默认", "预约规则说明")
    assert admin.get("/calendar/policy?item=nope").status_code == 404
    post = {"item": RENEWAL, "hall": HALL, "csrf_token": token}
    wrong = admin.post(
        "/calendar/policy/set",
        data={**post, "field": "daily_quota", "value": "许多", "scope": HALL},
    )
    assert wrong.status_code == 400 and "不是数字" in wrong.text
    maybe = admin.post(
        "/calendar/policy/set", data={**post, "field": "bookable", "value": "也许", "scope": ""}
    )
    assert maybe.status_code == 400 and "请填写“是”或“否”" in maybe.text
    try:
        saved = admin.post(
            "/calendar/policy/set",
            data={**post, "field": "daily_quota", "value": "30", "scope": HALL, "note": "窗口减少"},
        )
        assert saved.status_code == 303
        horizon = admin.post(
            "/calendar/policy/set",
            data={**post, "field": "horizon", "value": "5", "unit": "working_days", "scope": ""},
        )
        assert horizon.status_code == 303
        page = admin.get(saved.headers["location"]).text
        assert "预约设置已保存" in page
        quota = value_of(page, "daily_quota")
        assert (
            quota[1:3] == ["30", "工作人员设置"] and "admin" in quota[3] and "窗口减少" in quota[3]
        )
        assert value_of(page, "horizon")[1:3] == ["5个工作日", "工作人员设置"]
        assert "仅 示范市政务服务中心" in page and "5个工作日" in page
        assert audited(site, "booking_policy_set", f"item:{RENEWAL}")[0][0] == "admin"
        cleared = admin.post(
            "/calendar/policy/clear",
            data={**post, "field": "daily_quota", "scope": HALL},
        )
        assert cleared.status_code == 303
        page = admin.get(cleared.headers["location"]).text
        assert value_of(page, "daily_quota")[1:3] == ["60", "事项目录字段"]
        assert audited(site, "booking_policy_cleared", f"item:{RENEWAL}")[0][0] == "admin"
    finally:
        with session_scope(site.engine) as session:
            session.execute(delete(BookingPolicyOverride))


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")
def test_check_in_from_the_day_page_in_a_browser(site: Site, made: Made) -> None:
    if site.engine.dialect.name != "sqlite":
        pytest.skip("the browser test runs once, on SQLite")
    config = BookingConfig()
    services = services_for(
        site.engine,
        pages=[bookings.page(CIPHER, config), calendar.page(config)],
        cards=[bookings.card(), calendar.card()],
        clock=Clock(ON_THE_DAY),
    )
    row = f'tr[data-number="{made.browser}"]'

    async def scenario(base: str, devtools: str) -> None:
        async with tab(devtools) as page:
            await page.phone()
            await page.open(f"{base}/login")
            await page.submit("#login", username="window", password=PASSWORD)
            await page.open(f"{base}/bookings")
            assert "待签到" in await page.text(row)
            assert not await page.overflows()
            async with page.loading():
                await page.js(f"document.querySelector('{row} form.check-in button').click()")
            assert "已签到。" in await page.text(".flash.ok")
            assert "已签到" in await page.text(row)
            assert await page.js(f"document.querySelector('{row} form.check-in')") is None
            assert page.errors == []

    with serve_in_thread(create_app(services)) as base, chromium() as devtools:
        asyncio.run(scenario(base, devtools))
