"""``banshi bookings …`` and ``banshi calendar …`` run through the area's own parser: the JSON
shapes scripts read (slots, list, check-in, no-show, remind, calendar load / status / seed),
the refusals staff read, the audit trail of what was done on the server, the reminder chore
that runs once a day, and the console pages the area contributes."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from app.cli import bookings as area
from app.settings import Settings
from banshi.bookings import book
from banshi.bookings.config import BookingConfig
from banshi.bookings.people import Applicant
from banshi.calendar import seed_from_chinesecalendar
from banshi.db import session_scope
from banshi.privacy.crypto import FieldCipher
from banshi.privacy.idnumbers import id_check_char
from banshi.staff.models import AuditEntry
from bot.wechat.bookings_push import BookingPusher, BookingPushResult, Kind
from bot.wechat.storage import record_contact
from console import ConsoleServices, create_app
from wechat_standin.api import StandinAPI
from wechat_standin.server import BackgroundStandin

ROOT = Path(__file__).resolve().parents[2]
RENEWAL = "11139900MB1A00010P3002011001002"  # 居民身份证换领: 政务服务中心, 60 a day
CENTRE = "H139900001"
NOW = datetime(2026, 12, 7, 10, 0)  # a Monday
TUESDAY = date(2026, 12, 8)
LIST_KEYS = {
    "number",
    "item",
    "item_name",
    "hall",
    "window",
    "date",
    "slot",
    "status",
    "name",
    "mobile",
    "id_number",
    "companion",
    "reschedules",
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock(NOW)
    monkeypatch.setattr(area, "clock", moved)
    return moved


@pytest.fixture
def site(catalog: Engine, settings: Settings) -> Settings:
    """The demo catalog and 2026's calendar; settings with a fixed secret."""
    with session_scope(catalog) as session:
        seed_from_chinesecalendar(session, [2026])
    return replace(settings, secret_key="cli-bookings-test-secret-0123456789abcdef")


def banshi(
    capsys: pytest.CaptureFixture[str], settings: Settings, *argv: str
) -> tuple[int, str, str]:
    """Run one command of the area as ``banshi`` would: (exit status, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="banshi")
    area.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = int(args.func(args, settings) or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def booked(engine: Engine, n: int, openid: str, start: str = "09:00") -> str:
    """A booking of 居民身份证换领 at the centre on Tuesday, made on Monday; its number."""
    first17 = f"11010519800101{n:02d}1"
    confirmation = book(
        engine,
        task_code=RENEWAL,
        hall_code=CENTRE,
        day=TUESDAY,
        start=start,
        applicant=Applicant(
            f"李{'一二三四五'[n % 5]}", f"139{n:08d}", first17 + id_check_char(first17)
        ),
        openid=openid,
        cipher=FieldCipher(b"cli-bookings-cipher-0123456789abcdef"),
        config=BookingConfig(),
        now=NOW,
    )
    return str(confirmation.booking.number)


def audit(engine: Engine, action: str) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(AuditEntry.actor, AuditEntry.target).where(AuditEntry.action == action)
        ).all()
    return [(str(a), str(t)) for a, t in rows]


def test_slots_list_check_in_and_no_show(
    site: Settings, catalog: Engine, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = banshi(
        capsys, site, "bookings", "slots", "--item", RENEWAL, "--date", "2026-12-08", "--json"
    )
    data = json.loads(out)
    assert code == 0 and data["reason"] is None and data["reason_text"] is None
    assert (data["item"], data["hall"], data["window"], data["date"]) == (
        RENEWAL,
        CENTRE,
        "F01",
        "2026-12-08",
    )
    assert set(data["slots"][0]) == {"start", "end", "capacity", "booked", "left"}
    assert sum(s["capacity"] for s in data["slots"]) == 60  # SCHEDULE_NUM on a full day
    assert [s["start"] for s in data["slots"]][:3] == ["09:00", "10:00", "11:00"]
    assert data["policy"]["daily_quota"] == {
        "value": 60,
        "source": "catalog_field",
        "basis": "SCHEDULE_NUM=60",
    }
    code, out, _ = banshi(
        capsys, site, "bookings", "slots", "--item", RENEWAL, "--date", "2026-12-06", "--json"
    )
    past = json.loads(out)
    assert (past["reason"], past["slots"]) == ("past", []) and past["reason_text"]
    assert [d["date"] for d in past["nearest"]][0] == "2026-12-08"
    code, _, err = banshi(
        capsys, site, "bookings", "slots", "--item", "nope", "--date", "2026-12-08"
    )
    assert code == 2 and "查不到" in err and "Traceback" not in err

    on_time, late = booked(catalog, 1, "oCliBook01"), booked(catalog, 2, "oCliBook02")
    code, out, _ = banshi(capsys, site, "bookings", "list", "--date", "2026-12-08", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["number"] for r in rows] == sorted([on_time, late])
    assert all(set(r) == LIST_KEYS for r in rows)
    first = next(r for r in rows if r["number"] == on_time)
    assert (first["name"], first["mobile"], first["status"]) == ("李*", "139****0001", "confirmed")
    assert first["id_number"].startswith("110") and "*" * 11 in first["id_number"]
    assert "19800101" not in out  # the birth date inside the ID number is masked

    code, _, err = banshi(capsys, site, "bookings", "checkin", on_time)  # Monday: too soon
    assert code == 2 and "只能在预约当天签到" in err
    clock.now = datetime(2026, 12, 8, 9, 10)
    code, out, _ = banshi(capsys, site, "bookings", "checkin", on_time, "--json")
    checked = json.loads(out)
    assert code == 0 and (checked["status"], checked["minutes_late"]) == ("checked_in", 10)
    code, _, err = banshi(capsys, site, "bookings", "no-show", late)
    assert code == 2 and "30 分钟内到场都算按时" in err
    clock.now = datetime(2026, 12, 8, 9, 31)
    code, out, _ = banshi(capsys, site, "bookings", "no-show", late, "--json")
    assert code == 0 and json.loads(out)["status"] == "no_show"
    code, out, _ = banshi(capsys, site, "bookings", "list", "--date", "2026-12-08")
    assert "已签到" in out and "爽约" in out and "李*" in out
    assert audit(catalog, "check_in") == [("cli", f"booking:{on_time}")]
    assert audit(catalog, "booking_no_show") == [("cli", f"booking:{late}")]


def test_calendar_seed_load_and_status(
    engine: Engine,
    settings: Settings,
    clock: Clock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = banshi(capsys, settings, "calendar", "seed", "--json")
    assert code == 0 and json.loads(out) == {"written": 23, "library": "1.11.0"}  # 2004–2026
    assert json.loads(banshi(capsys, settings, "calendar", "seed", "--json")[1])["written"] == 0
    code, _, err = banshi(capsys, settings, "calendar", "seed", "--year", "2027")
    assert code == 2 and "2004–2026" in err and "banshi calendar load" in err

    code, out, _ = banshi(capsys, settings, "calendar", "status", "--json")
    status = json.loads(out)
    assert code == 1 and status["unknown_years"] == [2027] and status["ok"] is False
    assert set(status["years"][0]) == {
        "year",
        "source",
        "origin",
        "loaded_at",
        "holidays",
        "makeup_workdays",
    }
    code, out, _ = banshi(capsys, settings, "calendar", "status")
    assert "2027年节假日安排尚未录入" in out
    assert area.calendar_warning(status) is not None
    assert area.calendar_warning({**status, "unknown_years": []}) is None

    bad = tmp_path / "bad.yml"
    bad.write_text(
        "year: 2027\nsource: 测试\nholidays:\n  - 2027-01-01\nmakeup_workdays:\n  - 2027-01-04\n",
        encoding="utf-8",
    )
    code, _, err = banshi(capsys, settings, "calendar", "load", str(bad))
    assert code == 2 and "第6行" in err and "调休上班日应是周六或周日" in err

    notice = str(ROOT / "demo" / "calendar" / "2027.yml")
    code, out, _ = banshi(capsys, settings, "calendar", "load", notice, "--json")
    loaded = json.loads(out)
    assert code == 0 and loaded["year"] == 2027 and loaded["replaced_source"] is None
    assert (loaded["holidays"], loaded["makeup_workdays"]) == (29, 5)
    assert loaded["source"].startswith("示例")  # the example says so wherever it is shown
    code, out, _ = banshi(capsys, settings, "calendar", "status", "--json")
    status = json.loads(out)
    assert code == 0 and status["ok"] is True and status["years"][-1]["origin"] == "file"
    code, out, _ = banshi(capsys, settings, "calendar", "load", notice)
    assert code == 0 and "替换了原来的" in out
    assert audit(engine, "calendar_loaded") == [("cli", "calendar:2027")] * 2


@pytest.fixture
def standin() -> Iterator[BackgroundStandin]:
    server = BackgroundStandin(StandinAPI()).start()
    yield server
    server.stop()


def test_remind_pushes_tomorrows_reminders_once(
    site: Settings,
    catalog: Engine,
    clock: Clock,
    standin: BackgroundStandin,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WECHAT_API_BASE_URL", standin.api_base)
    monkeypatch.delenv("REDIS_URL", raising=False)
    seen, unseen = "oCliRemind01", "oCliRemind02"
    number = booked(catalog, 3, seen)
    booked(catalog, 4, unseen, start="10:00")
    with session_scope(catalog) as session:
        record_contact(session, seen, datetime.utcnow() - timedelta(hours=1))
    clock.now = datetime(2026, 12, 7, 18, 30)
    code, out, _ = banshi(capsys, site, "bookings", "remind", "--json")
    assert code == 0 and json.loads(out) == {
        "custom": 1,
        "template": 0,
        "kept": 1,
        "unreachable": None,
        "sent": 1,
        "drafts_purged": 0,
    }
    [text] = standin.api.delivered(seen)
    assert number in text and "明天" in text
    code, out, _ = banshi(capsys, site, "bookings", "remind")
    assert code == 0 and "已推送 0 条" in out
    assert len(standin.api.received("message/custom/send")) == 1


class Recorded(BookingPusher):
    """A pusher that answers from a list instead of WeChat, and counts the rounds."""

    def __init__(self, engine: Engine, answers: list[BookingPushResult]) -> None:
        super().__init__(engine)
        self.answers = answers
        self.rounds: list[Kind] = []

    def push_now(self, settings: Any, kind: Kind, now: datetime | None = None) -> BookingPushResult:
        self.rounds.append(kind)
        return self.answers.pop(0)


def test_reminders_run_once_a_day_from_the_hour_and_retry_when_unreachable(
    engine: Engine, settings: Settings
) -> None:
    chores = area.chores(settings)
    assert [(c.name, c.every) for c in chores] == [
        ("booking reminders", 300),
        ("booking disruptions", 300),
    ]
    sender = Recorded(
        engine,
        [BookingPushResult(unreachable="WeChat API error None"), BookingPushResult(custom=2)] * 2,
    )
    round_ = area.ReminderRound(settings, sender)

    def at(day: int, hour: int, minute: int) -> dict[str, Any]:
        return round_(datetime(2026, 12, day, hour, minute)) or {}

    assert at(7, 17, 59) == {} and sender.rounds == []  # before the hour
    assert at(7, 18, 0)["unreachable"]  # WeChat unreachable: tried again at the next tick
    assert at(7, 18, 5)["sent"] == 2
    assert at(7, 21, 0) == {}  # done for today
    assert at(8, 18, 1)["unreachable"]  # the next day's round
    assert sender.rounds == [Kind.REMINDER] * 3


def test_the_console_pages_and_cards_it_contributes(settings: Settings) -> None:
    pages, cards = area.console_pages(settings)
    assert [p.key for p in pages] == ["bookings", "calendar"]
    assert [c.key for c in cards] == ["bookings", "calendar"]  # the planned placeholders
    app = create_app(
        ConsoleServices(
            engine=area._engine(settings),
            secret_key=b"cli-bookings-console-secret-0123456789",
            cookie_secure=False,
            pages=pages,
            cards=cards,
        )
    )
    paths = {getattr(r, "path", "") for r in app.routes}
    assert {"/bookings", "/bookings/check-in", "/calendar", "/calendar/policy"} <= paths
