"""一次性告知单 over the demo catalog: the interview, issuing, numbering, texts, the printable
page and the change notices after a catalog sync, claimed for delivery by one path only
(SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.settings import Settings
from banshi.catalog import get_item
from banshi.db import session_factory, session_scope
from banshi.links import Links
from banshi.models import STATE_CANCELLED, Item, Notice, NoticeCounter
from banshi.notices import (
    CannotIssue,
    InterviewQuestion,
    Need,
    QuestionKind,
    changes_for_notices,
    claim_changes,
    decide,
    forget_citizen,
    get_notice,
    issue_notice,
    list_notices,
    next_question,
    notice_text,
    parse_answer,
    pending_changes,
    plan,
    release_changes,
    render_html,
    situation_matters,
)
from banshi.text import clean_line
from catalog_sync.service import run_sync
from tests.conftest import DELTA, ITEMS

HOUSE = "11139900MB1A00070G3000713002001"  # 存量房转移登记: the delta adds a material
ID_CARD_LOSS = "11139900MB1A00010P3002011002000"  # 居民身份证挂失申报: free
SKILL_CERT = "11139900MB1A00030E3002016010000"  # cancelled by the delta
TODAY = date(2026, 11, 26)
BEFORE_DELTA = date(2026, 11, 10)
NUMBER = re.compile(r"^BS2026\d{6}$")
URL = "https://banshi.example.gov.cn"
LINKS = Links(URL, b"test-secret-" * 4)

# How a hall clerk reads the conditions that mention situations (the rest are asked in every
# situation). Written from the data by hand, not computed by the code under test.
FOLLOWS_FROM_SITUATION: dict[tuple[str, str], set[str]] = {
    ("生育登记", "办理二孩、三孩生育登记的"): {"二孩生育登记", "三孩生育登记"},
    ("护士执业注册", "首次注册、延续注册或重新注册的"): {"首次注册", "延续注册", "重新注册"},
    ("护士执业注册", "延续注册或变更注册的"): {"延续注册", "变更注册"},
    ("护士执业注册", "逾期首次注册或重新注册的"): {"重新注册"},
    ("义务教育阶段新生入学登记", "办理小学一年级入学的"): {
        "小学一年级入学（本市户籍）",
        "小学一年级入学（随迁子女）",
    },
    ("残疾人证换领补办", "办理换领的（遗失补办除外）"): {
        "有效期满换领",
        "残疾类别或等级变化换领",
        "证件损毁换领",
        "第二代证换领第三代智能化证",
    },
    ("困难残疾人生活补贴和重度残疾人护理补贴申领", "申领困难残疾人生活补贴的"): {
        "困难残疾人生活补贴申领",
        "两项补贴同时申领",
    },
    ("公共租赁住房申请", "新就业无房职工或外来务工人员申请的"): {"新就业无房职工", "外来务工人员"},
    ("住房租赁合同登记备案", "办理变更、延续或注销备案的"): {
        "租赁登记备案变更、延续",
        "租赁登记备案注销",
    },
    ("营业执照遗失补领", "营业执照正本或副本遗失的"): {
        "营业执照正本遗失补领",
        "营业执照副本遗失补领",
    },
}
ASKED_ONLY_IN: dict[tuple[str, str], set[str]] = {
    ("护士执业注册", "逾期首次注册或重新注册的"): {"首次注册"},
    ("职业技能等级证书查询与补发", "委托他人查询核验的"): {"证书查询核验"},
    ("出生医学证明补发换发", "因户籍姓名与证件不一致申请换发的"): {
        "换发（信息有误、破损或姓名变更）"
    },
}


def raw_items() -> dict[str, dict[str, Any]]:
    """The sample export as published: the highest TASK_VERSION of each TASK_CODE."""
    records: dict[str, dict[str, Any]] = {}
    for line in ITEMS.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            code, version = clean_line(record["TASK_CODE"]), int(record["TASK_VERSION"])
        except (ValueError, KeyError, TypeError):
            continue
        if code not in records or version > int(records[code]["TASK_VERSION"]):
            records[code] = record
    return records


def expected(
    record: dict[str, Any], situation: str | None, yes: bool
) -> tuple[list[str], set[str]]:
    """The materials a clerk would list, and the conditions they would ask about."""
    name = clean_line(record["TASK_NAME"])
    situations = {clean_line(s["NAME"]) for s in record.get("SITUATIONS") or []}
    listed, asked = [], set()
    for m in record["MATERIALS"]:
        case = clean_line(m["HANDLE_CASE"])
        if not case:
            needed = True
        elif case in situations:
            needed = case == situation
        elif (name, case) in FOLLOWS_FROM_SITUATION or (name, case) in ASKED_ONLY_IN:
            settled = situation in FOLLOWS_FROM_SITUATION.get((name, case), set())
            ask = situation in ASKED_ONLY_IN.get((name, case), set())
            needed = settled or (ask and yes)
            if ask:
                asked.add(case)
        else:
            needed = yes
            asked.add(case)
        if needed:
            listed.append(clean_line(m["MATERIAL_NAME"]))
    return listed, asked


def item(session: Session, code: str) -> Item:
    found = get_item(session, code)
    assert found is not None
    return found


def issue(engine: Engine, code: str, situation: str | None, openid: str | None, day: date,
          conditions: dict[str, bool | None] | None = None) -> str:  # fmt: skip
    with session_scope(engine) as session:
        notice = issue_notice(
            session, item(session, code), situation, conditions or {}, openid, day
        )
        return str(notice.number)


# ---------------------------------------------------------------------- the interview


def test_questions_follow_the_situation(catalog: Engine) -> None:
    with session_scope(catalog) as session:
        births = session.execute(select(Item).where(Item.name == "生育登记")).scalar_one()
        (first,) = plan(births)
        assert first.kind is QuestionKind.SITUATION
        assert first.options == ("一孩生育登记", "二孩生育登记", "三孩生育登记")
        assert "1. 一孩生育登记" in first.text

        proxy = "夫妻双方均不能到场、委托他人代办的"
        for situation in first.options:  # 二孩、三孩 follows from the situation: never asked
            assert [q.key for q in plan(births, situation)] == [proxy]
        assert next_question(births, "二孩生育登记", {proxy: False}) is None

        nurse = session.execute(select(Item).where(Item.name == "护士执业注册")).scalar_one()
        names = [s.name for s in nurse.situations]
        late = "逾期首次注册或重新注册的"
        assert [decide(names, late, s) for s in names] == [
            Need.ASK,
            Need.NOT_NEEDED,
            Need.NOT_NEEDED,
            Need.APPLIES,
        ]
        assert [q.key for q in plan(nurse, "首次注册")] == [late]
        assert plan(nurse, "变更注册") == []

        unemployed = session.execute(select(Item).where(Item.name == "失业登记")).scalar_one()
        assert [q.kind for q in plan(unemployed)] == [
            QuestionKind.CONDITION,
            QuestionKind.CONDITION,
        ]
        pension = session.execute(select(Item).where(Item.name == "失业保险金申领")).scalar_one()
        assert plan(pension) == [] and next_question(pension, None, {}) is None


def test_answers_in_words_or_numbers(catalog: Engine) -> None:
    with session_scope(catalog) as session:
        births = session.execute(select(Item).where(Item.name == "生育登记")).scalar_one()
        question = plan(births)[0]
        for reply, value in [
            ("2", "二孩生育登记"),
            ("第二个", "二孩生育登记"),
            ("选3", "三孩生育登记"),
            ("二孩", "二孩生育登记"),
            ("我们想要二孩", "二孩生育登记"),
            ("一孩生育登记", "一孩生育登记"),
        ]:
            answer = parse_answer(question, reply)
            assert answer is not None and answer.value == value, reply
        assert parse_answer(question, "5") is None
        assert parse_answer(question, "今天天气怎么样") is None

        condition = plan(births, "一孩生育登记")[0]
        for reply, value in [
            ("是", True),
            ("是的", True),
            ("对", True),
            ("1", True),
            ("不是", False),
            ("没有", False),
            ("否", False),
            ("第二个", False),
            ("不确定", None),
            ("不知道啊", None),
        ]:
            answer = parse_answer(condition, reply)
            assert answer is not None and answer.value is value, reply
        assert parse_answer(condition, "随便") is None


def test_answers_in_the_citizens_own_words() -> None:
    """Yes / no in paraphrase, who does it for a proxy question, the case's own words."""
    proxy = InterviewQuestion(QuestionKind.CONDITION, "委托代理人办理的", "", ("是", "不是"))
    for reply, value in [
        ("本人办理", False),
        ("我自己去办", False),
        ("亲自去", False),
        ("让我爱人去办", True),
        ("委托别人", True),
        ("嗯，是的", True),
        ("对的", True),
        ("我不是", False),
        ("没得", False),
    ]:
        answer = parse_answer(proxy, reply)
        assert answer is not None and answer.value is value, reply
    assert parse_answer(proxy, "我想问下办理流程") is None  # a question, not a yes

    mortgage = InterviewQuestion(QuestionKind.CONDITION, "房屋存在抵押的", "", ("是", "不是"))
    for reply, value in [("有抵押", True), ("房子没抵押", False), ("有", True), ("没有", False)]:
        answer = parse_answer(mortgage, reply)
        assert answer is not None and answer.value is value, reply

    who = InterviewQuestion(QuestionKind.SITUATION, "", "", ("本人申领", "委托他人代为申领"))
    for reply, value in [("我自己去", "本人申领"), ("让家里人帮我办", "委托他人代为申领")]:
        answer = parse_answer(who, reply)
        assert answer is not None and answer.value == value, reply


# ---------------------------------------------------------------------- issuing


def test_every_item_and_situation_lists_exactly_the_materials_that_apply(
    catalog: Engine,
) -> None:
    raw = raw_items()
    count = 0
    with session_scope(catalog) as session:
        codes = session.execute(
            select(Item.task_code).where(Item.state != STATE_CANCELLED).order_by(Item.id)
        ).scalars()
        for code in list(codes):
            found = item(session, code)
            record = raw[code]
            situations: list[str | None] = [s.name for s in found.situations]
            if not situation_matters(found):
                situations.append(None)  # not asked: every situation has the same list
            for situation in situations:
                asked = {q.key for q in plan(found, situation) if q.kind is QuestionKind.CONDITION}
                for yes in (True, False):
                    materials, conditions = expected(record, situation, yes)
                    assert asked == conditions, (found.name, situation)
                    notice = issue_notice(
                        session, found, situation, dict.fromkeys(asked, yes), "o-all", TODAY
                    )
                    listed = [m["name"] for m in notice.snapshot["materials"]]
                    assert listed == materials, (found.name, situation, yes)
                    assert notice.snapshot["item"]["situation"] == situation
                    messages = notice_text(notice, LINKS)
                    assert len(messages) <= 2
                    assert all(len(m.encode("utf-8")) <= 2000 for m in messages)
                    assert notice.number in messages[0]
                    assert messages[-1].endswith(LINKS.notice(notice.number))
                    assert notice.number in render_html(notice, LINKS)
                    count += 1
    assert count > 300


def test_notice_for_a_situation_with_a_conditional_material(catalog: Engine) -> None:
    married = "出卖人已婚或房屋为共有的"
    with session_scope(catalog) as session:
        house = item(session, HOUSE)
        assert [q.key for q in plan(house, "带押过户")] == [married]
        notice = issue_notice(session, house, "带押过户", {married: None}, "o-1", TODAY)
        s = notice.snapshot
        assert NUMBER.match(notice.number) and s["number"] == notice.number
        assert notice.handle_item_code == HOUSE + "03"
        assert s["item"]["handle_item_code"] == HOUSE + "03"
        assert notice.item_version == house.version and notice.sync_id == 1
        materials = {m["name"]: m for m in s["materials"]}
        assert "原抵押权人同意转让的意见或带押过户三方协议" in materials
        assert "借款合同及抵押合同" not in materials  # another situation's
        assert materials["婚姻状况证明及共有人同意出售的书面意见"]["condition"] == married
        deed = materials["《不动产登记申请书》"]
        assert (deed["type"], deed["original_num"], deed["format"], deed["need"]) == (
            "原件",
            1,
            "纸质",
            "必要",
        )
        assert s["fees"]["free"] is False and s["fees"]["charges"][0]["standard"] == "80元/件"
        assert "2559号" in s["fees"]["charges"][0]["basis"]
        assert s["place"]["hall"] == "示范市不动产登记中心"
        assert "法定节假日休息" in s["place"]["hours"]
        messages = notice_text(notice, LINKS)
        assert len(messages) == 2
        text = "\n".join(messages)
        for expected_text in [
            f"编号：{notice.number}",
            f"业务办理项编码：{HOUSE}03",
            "办理情形：带押过户",
            f"您的情况：{married}：不确定",
            f"如属“{married}”：婚姻状况证明",
            "法定30个工作日，承诺1个工作日",
            "不动产登记费（住宅）：80元/件",
            "行政复议",
            "行政诉讼",
            "0311-67772108",
            "依据办事指南第4版",
            "目录同步批次1",
        ]:
            assert expected_text in text, expected_text

        free = issue_notice(session, item(session, ID_CARD_LOSS), "本人申报挂失", {}, None, TODAY)
        assert free.snapshot["fees"] == {"free": True, "charges": []}
        assert "五、收费：不收费\n" in notice_text(free, LINKS)[1]
        assert free.openid is None


def test_refusals_are_explained(catalog: Engine, settings: Settings) -> None:
    with session_scope(catalog) as session:
        house = item(session, HOUSE)
        with pytest.raises(CannotIssue, match="需要先选择办理情形"):
            issue_notice(session, house, None, {}, "o-1", TODAY)
        with pytest.raises(CannotIssue, match="不是【存量房转移登记（二手房买卖）】的办理情形"):
            issue_notice(session, house, "继承", {}, "o-1", TODAY)
    run_sync(str(DELTA), catalog, settings)
    with session_scope(catalog) as session, pytest.raises(CannotIssue, match="已取消"):
        issue_notice(session, item(session, SKILL_CERT), "证书查询核验", {}, "o-1", TODAY)


def test_numbers_count_per_year_with_the_configured_prefix(catalog: Engine) -> None:
    assert issue(catalog, ID_CARD_LOSS, "本人申报挂失", "o-1", TODAY) == "BS2026000001"
    assert issue(catalog, ID_CARD_LOSS, "本人申报挂失", "o-1", TODAY) == "BS2026000002"
    assert issue(catalog, ID_CARD_LOSS, "本人申报挂失", "o-1", date(2027, 1, 4)) == ("BS2027000001")
    with session_scope(catalog) as session:
        notice = issue_notice(
            session, item(session, ID_CARD_LOSS), "本人申报挂失", {}, None, TODAY, prefix="SF"
        )
        assert notice.number == "SF2026000003"


def test_numbers_are_unique_under_concurrent_issuing(catalog: Engine) -> None:
    if catalog.dialect.name != "postgresql":
        pytest.skip("SQLite serialises all writers; concurrent numbering is a PostgreSQL test")

    def one(i: int) -> str:
        with session_scope(catalog) as session:
            situation = ["本人申报挂失", "监护人代未满十六周岁公民申报挂失"][i % 2]
            found = item(session, ID_CARD_LOSS)
            return str(issue_notice(session, found, situation, {}, f"o-{i}", TODAY).number)

    with ThreadPoolExecutor(max_workers=16) as pool:
        numbers = list(pool.map(one, range(200)))

    assert len(set(numbers)) == 200
    assert all(NUMBER.match(n) for n in numbers)
    with session_scope(catalog) as session:
        stored = session.execute(select(func.count(func.distinct(Notice.number)))).scalar_one()
        last = session.execute(select(NoticeCounter.last).where(NoticeCounter.year == 2026))
        assert stored == 200 and last.scalar_one() >= 200


# ---------------------------------------------------------------------- lookup


def test_my_notices_and_staff_lookup(catalog: Engine) -> None:
    first = issue(catalog, ID_CARD_LOSS, "本人申报挂失", "o-me", TODAY)
    second = issue(catalog, HOUSE, "全款购房转移登记", "o-me", TODAY)
    other = issue(catalog, HOUSE, "带押过户", "o-other", TODAY)
    with session_scope(catalog) as session:
        assert [n.number for n in list_notices(session, "o-me")] == [second, first]
        found = get_notice(session, " " + other.lower().replace("2026", " 2026 "))
        assert found is not None and found.number == other and found.openid == "o-other"
        assert get_notice(session, "BS2026999999") is None
        assert forget_citizen(session, "o-me") == 2
    with session_scope(catalog) as session:
        assert list_notices(session, "o-me") == []
        kept = get_notice(session, first)
        assert kept is not None and kept.openid is None  # staff can still look it up


# ---------------------------------------------------------------------- change notices


def test_holders_are_told_once_what_the_delta_changed(catalog: Engine, settings: Settings) -> None:
    told = issue(catalog, HOUSE, "带押过户", "o-house", BEFORE_DELTA)
    old = issue(catalog, HOUSE, "带押过户", "o-old", BEFORE_DELTA - timedelta(days=91))
    issue(catalog, HOUSE, "全款购房转移登记", None, BEFORE_DELTA)  # nobody to tell
    issue(catalog, ID_CARD_LOSS, "本人申报挂失", "o-card", BEFORE_DELTA)  # not in the delta
    cancelled = issue(catalog, SKILL_CERT, "证书查询核验", "o-skill", BEFORE_DELTA)

    report = run_sync(str(DELTA), catalog, settings)
    assert report.status == "ok"
    with session_scope(catalog) as session:
        changes = changes_for_notices(session, report.sync_id, TODAY, links=LINKS)
    by_number = {c.number: c for c in changes}
    assert set(by_number) == {told, cancelled}
    house = by_number[told]
    assert house.openid == "o-house"
    assert "新增材料：房屋交易资金监管协议" in house.text
    assert "不再需要" not in house.text and "收费" not in house.text
    assert f"编号{told}" in house.text and f"{URL}/notices/{told}" in house.text
    assert len(house.text.encode("utf-8")) <= 2000
    assert "该事项已取消" in by_number[cancelled].text
    assert old not in by_number

    with session_scope(catalog) as session:
        assert changes_for_notices(session, report.sync_id, TODAY, links=LINKS) == []
        assert changes_for_notices(session, None, TODAY, links=LINKS) == []
        assert [c.number for c in pending_changes(session, "o-house")] == [told]
        assert claim_changes(session, "o-house") == [house]
    with session_scope(catalog) as session:
        assert pending_changes(session, "o-house") == []
        assert [c.number for c in pending_changes(session)] == [cancelled]


def queue_two_changes(catalog: Engine, settings: Settings) -> list[int]:
    """Changes for two holders of 存量房转移登记 notices, after the delta."""
    issue(catalog, HOUSE, "带押过户", "o-one", BEFORE_DELTA)
    issue(catalog, HOUSE, "带押过户", "o-two", BEFORE_DELTA)
    report = run_sync(str(DELTA), catalog, settings)
    with session_scope(catalog) as session:
        return [c.id for c in changes_for_notices(session, report.sync_id, TODAY, links=LINKS)]


def test_a_claim_takes_each_change_once_and_a_release_gives_it_back(
    catalog: Engine, settings: Settings
) -> None:
    one, two = queue_two_changes(catalog, settings)
    with session_scope(catalog) as session:
        assert [c.id for c in claim_changes(session, ids=[one])] == [one]
    with session_scope(catalog) as session:
        assert claim_changes(session, ids=[one]) == []  # already taken
        assert [c.id for c in claim_changes(session)] == [two]
        assert claim_changes(session) == []
    with session_scope(catalog) as session:
        release_changes(session, [one])
    with session_scope(catalog) as session:
        assert [(c.id, c.openid) for c in pending_changes(session)] == [(one, "o-one")]
        assert [c.id for c in claim_changes(session, "o-one")] == [one]
        assert claim_changes(session, "o-two") == []


def test_racing_claims_get_each_change_once(catalog: Engine, settings: Settings) -> None:
    """The channel's next message and a push claim at the same moment: the second waits for
    the first transaction and then finds nothing; had the first rolled back, it gets them."""
    ids = queue_two_changes(catalog, settings)

    def claim_beside(found: list[list[int]]) -> threading.Thread:
        def run() -> None:
            with session_scope(catalog) as other:
                found.append([c.id for c in claim_changes(other)])

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    for first_commits in (False, True):
        first = session_factory(catalog)()
        try:
            assert [c.id for c in claim_changes(first)] == ids
            found: list[list[int]] = []
            second = claim_beside(found)
            time.sleep(0.5)
            assert second.is_alive()  # waiting for the first claim's transaction
            if first_commits:
                first.commit()
            else:
                first.rollback()
            second.join(30)
        finally:
            first.close()
        assert found == ([[]] if first_commits else [ids])
        if not first_commits:  # the second claim took them: give them back for the next round
            with session_scope(catalog) as session:
                release_changes(session, ids)


def test_removed_materials_fees_and_time_limits_are_told(
    catalog: Engine, settings: Settings, tmp_path: Path
) -> None:
    number = issue(catalog, ID_CARD_LOSS, "本人申报挂失", "o-card", BEFORE_DELTA)
    record = raw_items()[ID_CARD_LOSS]
    dropped = clean_line(record["MATERIALS"][1]["MATERIAL_NAME"])
    record = record | {
        "TASK_VERSION": int(record["TASK_VERSION"]) + 1,
        "MATERIALS": [record["MATERIALS"][0], record["MATERIALS"][2]],
        "IS_FEE": "1",
        "CHARGES": [
            {
                "FEE_NAME": "挂失证明工本费",
                "FEE_STAND": "10元/份",
                "BY_LAW": "示范文件",
                "IS_DESC": "0",
                "DESC_EXPLAIN": "",
            }
        ],  # fmt: skip
        "PROMISE_DAY": 3,
        "PROMISE_TYPE": "工作日",
    }
    delta = tmp_path / "delta.jsonl"
    delta.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    report = run_sync(str(delta), catalog, settings)
    with session_scope(catalog) as session:
        (change,) = changes_for_notices(session, report.sync_id, TODAY, links=LINKS)
    assert change.number == number
    assert f"不再需要的材料：{dropped}" in change.text
    assert "收费调整：原为“不收费”，现为“挂失证明工本费10元/份”" in change.text
    assert "承诺办结时限：由" in change.text and "调整为3个工作日" in change.text


# ---------------------------------------------------------------------- the printable page


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_page_renders_in_headless_chromium(catalog: Engine, tmp_path: Path) -> None:
    browser = chromium()
    if browser is None:
        pytest.skip("chromium is not installed: `apt-get install -y chromium` (scripts/test)")
    number = issue(catalog, HOUSE, "带押过户", "o-page", TODAY, {"出卖人已婚或房屋为共有的": None})
    with session_scope(catalog) as session:
        notice = get_notice(session, number)
        assert notice is not None
        page = render_html(notice, LINKS)
    for external in ("<script", "<link", "<img", "src=", "@import", "url("):
        assert external not in page  # no assets to fetch: it prints and opens offline
    assert "@page{size:A4" in page and 'name="viewport"' in page
    html_file = tmp_path / "notice.html"
    html_file.write_text(page, encoding="utf-8")
    png = tmp_path / "page.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            "--window-size=794,1123",
            html_file.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000

    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (794, 1123)
        grey = image.convert("L")
        low, high = grey.getextrema()
        assert high - low > 100  # not one colour: dark text on a light page
        dark = sum(grey.histogram()[:128])
        assert dark > 0.005 * 794 * 1123  # a real amount of text, not a stray pixel
