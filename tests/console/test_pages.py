"""What the pages show: catalog, syncs, notices, unanswered questions and the lexicon overlay,
conversations (masked, revealed with an audit entry), staff accounts, the audit log."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any

from banshi.db import session_scope
from banshi.lexicon_overlay import overlay_entries, overlay_generation
from banshi.staff.audit import AuditAction, entries
from banshi.unanswered import UnansweredReason, record_unanswered
from console import texts
from tests.console.conftest import (
    CHANGED_ITEM,
    CITIZEN,
    NOW,
    PHONE,
    STEADY_ITEM,
    Site,
    csrf,
    signed_in,
)

MASKED_PHONE = "138****5678"


def text_of(html: str) -> str:
    """The visible text of a page, roughly: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_catalog_search_finds_items_by_name_alias_and_code(make_client: Any) -> None:
    client = make_client()
    signed_in(client, "window")
    by_name = client.get("/catalog", params={"q": "身份证"})
    assert "居民身份证首次申领" in by_name.text and "居民身份证补领" in by_name.text
    by_code = client.get("/catalog", params={"q": STEADY_ITEM[:20]})
    assert f"/catalog/items/{STEADY_ITEM}" in by_code.text
    none = client.get("/catalog", params={"q": "量子纠缠"})
    assert "没有找到与“量子纠缠”相关的事项" in none.text
    # htmx asks for the results alone, without the layout.
    partial = client.get("/catalog", params={"q": "身份证"}, headers={"hx-request": "true"})
    assert "居民身份证首次申领" in partial.text and "<html" not in partial.text


def test_an_item_shows_its_versions_and_what_changed(make_client: Any) -> None:
    client = make_client()
    signed_in(client, "dispatcher")
    page = text_of(client.get(f"/catalog/items/{CHANGED_ITEM}").text)
    assert "存量房转移登记" in page
    assert "更新 版本 4 → 5" in page and "申请材料" in page
    assert re.search(r"删除：|新增：", page)
    assert "历史版本" in page and "#3" in page  # version 5 came with sync 3
    assert client.get("/catalog/items/00000000000000000000000000000").status_code == 404


def test_sync_history_lists_rejected_records_with_reasons(make_client: Any) -> None:
    client = make_client()
    signed_in(client, "reviewer")
    history = client.get("/catalog/syncs").text
    assert "/catalog/syncs/1" in history and "/catalog/syncs/3" in history
    assert "开始同步" not in history  # only 管理员 may trigger a sync
    run = text_of(client.get("/catalog/syncs/1").text)
    assert "缺少必填字段 TASK_NAME" in run and "无效记录" in run
    assert "同文件低版本" in run
    delta = text_of(client.get("/catalog/syncs/3").text)
    assert "职业技能等级证书查询与补发" in delta and "取消" in delta


def test_a_sync_is_triggered_from_a_url_and_audited(make_client: Any, site: Site) -> None:
    asked: list[str] = []

    def trigger(url: str) -> Mapping[str, Any]:
        asked.append(url)
        return {
            "sync_id": 3,
            "status": "ok",
            "kind": "items",
            "counts": {"created": 1, "rejected": 1},
            "rejections": [{"line": 6, "task_guid": "g-1", "reason": "基本编码不对"}],
            "message": "事项：新增 1；拒收 1 条。",
        }

    client = make_client(trigger_sync=trigger)
    token = signed_in(client, "admin")
    assert "开始同步" in client.get("/catalog/syncs").text
    local = client.post("/catalog/syncs", data={"csrf_token": token, "url": "/etc/passwd"})
    assert local.status_code == 400 and texts.SYNC_URL_ONLY in local.text and asked == []
    url = "https://platform.example/export/items.jsonl"
    done = client.post("/catalog/syncs", data={"csrf_token": token, "url": url})
    assert done.status_code == 200 and asked == [url]
    page = text_of(done.text)
    assert "成功" in page and "新增 1" in page and "第 6 行 g-1：基本编码不对" in page
    with session_scope(site.engine) as session:
        entry = entries(session, actor="admin", action=AuditAction.SYNC_TRIGGERED)[0]
    assert entry.detail["url"] == url and entry.target == "sync:3"


def test_a_failed_or_missing_sync_says_why(make_client: Any) -> None:
    def broken(url: str) -> Mapping[str, Any]:
        raise RuntimeError("无法下载 https://x.example/a.jsonl：连接超时")

    client = make_client(trigger_sync=broken)
    token = signed_in(client, "admin")
    failed = client.post(
        "/catalog/syncs", data={"csrf_token": token, "url": "https://x.example/a.jsonl"}
    )
    assert failed.status_code == 502 and "同步失败：无法下载" in failed.text
    bare = make_client()
    token = signed_in(bare, "admin")
    assert texts.SYNC_NOT_AVAILABLE in bare.get("/catalog/syncs").text
    off = bare.post(
        "/catalog/syncs", data={"csrf_token": token, "url": "https://x.example/a.jsonl"}
    )
    assert off.status_code == 503


def test_a_notice_shows_what_was_told_and_whether_its_item_changed(
    make_client: Any, site: Site
) -> None:
    client = make_client()
    signed_in(client, "window")
    typed = site.notice_changed.lower().replace("2026", " 2026 ")  # as a clerk might type it
    changed = text_of(client.get("/notices", params={"number": typed}).text)
    assert site.notice_changed in changed and "存量房转移登记" in changed
    assert "自开具以来调整了 1 次" in changed and "当前为第 5 版" in changed
    assert "第 4 版" in changed  # the version the citizen was told
    assert "oCit…0001" in changed and CITIZEN not in changed
    steady = text_of(client.get("/notices", params={"number": site.notice_steady}).text)
    assert "没有调整" in steady and "申请材料" in steady and "居民身份证首次申领" in steady
    missing = client.get("/notices", params={"number": "BS2026999999"})
    assert missing.status_code == 404 and texts.NOTICE_NOT_FOUND in missing.text


def test_unanswered_questions_are_grouped_and_masked(make_client: Any) -> None:
    client = make_client()
    signed_in(client, "dispatcher")
    page = client.get("/unanswered").text
    groups = re.findall(
        r'<section class="card group">\s*<h2>(.*?) <span class="count">(\d+) 次', page
    )
    assert ("老年证", "3") in groups
    assert MASKED_PHONE in page and PHONE not in page
    assert "添加口语词" not in page  # a dispatcher reads; reviewers publish words


def test_a_reviewer_adds_a_word_from_a_group_and_the_resolver_sees_it(
    make_client: Any, site: Site
) -> None:
    with session_scope(site.engine) as session:
        before = overlay_generation(session)
    client = make_client()
    token = signed_in(client, "reviewer")
    page = client.get("/unanswered").text
    assert 'name="word" value="老年证"' in page
    added = client.post(
        "/lexicon/words",
        data={
            "csrf_token": token,
            "word": "身份证新办",
            "task_code": STEADY_ITEM,
            "back": "/unanswered?days=7",
        },
    )
    assert added.status_code == 303 and added.headers["location"] == "/unanswered?days=7&done=word"
    with session_scope(site.engine) as session:
        assert overlay_entries(session)["身份证新办"] == ["居民身份证首次申领"]
        assert overlay_generation(session) == before + 1
        audit = entries(session, actor="reviewer", action=AuditAction.LEXICON_WORD_ADDED)[0]
    assert audit.target == f"item:{STEADY_ITEM}"
    assert "身份证新办" in client.get(f"/catalog/items/{STEADY_ITEM}").text
    assert (
        f"/catalog/items/{STEADY_ITEM}" in client.get("/catalog", params={"q": "身份证新办"}).text
    )
    bad = client.post(
        "/lexicon/words", data={"csrf_token": token, "word": "证", "task_code": STEADY_ITEM}
    )
    assert bad.status_code == 400 and "口语词须为 2 到 20 个字" in bad.text
    unknown = client.post(
        "/lexicon/words", data={"csrf_token": token, "word": "某某证", "task_code": "X"}
    )
    assert unknown.status_code == 400 and "没有实施编码为“X”的事项" in unknown.text
    entry_id = re.search(r"/lexicon/words/(\d+)/remove", client.get("/lexicon").text)
    assert entry_id is not None
    removed = client.post(f"/lexicon/words/{entry_id.group(1)}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    with session_scope(site.engine) as session:
        assert "身份证新办" not in overlay_entries(session)


def test_handled_questions_leave_the_list(make_client: Any, site: Site) -> None:
    with session_scope(site.engine) as session:
        record_unanswered(session, "殡葬补贴去哪里领", UnansweredReason.NO_ITEM, now=NOW)
    client = make_client()
    token = signed_in(client, "reviewer")
    page = client.get("/unanswered").text
    ids = re.search(r'殡葬补贴.*?name="ids" value="([\d,]+)"', page, re.S)
    assert ids is not None
    done = client.post("/unanswered/handled", data={"csrf_token": token, "ids": ids.group(1)})
    assert done.headers["location"] == "/unanswered?done=handled"
    assert "殡葬补贴" not in client.get("/unanswered").text
    assert "殡葬补贴" in client.get("/unanswered", params={"all": "1"}).text


def test_the_export_is_masked_and_audited(make_client: Any, site: Site) -> None:
    with session_scope(site.engine) as session:
        before = len(entries(session, actor="dispatcher", action=AuditAction.EXPORT))
    client = make_client()
    signed_in(client, "dispatcher")
    export = client.get("/unanswered/export.csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][0] == "分组" and len(rows) > 3
    assert any(MASKED_PHONE in row[-1] for row in rows) and PHONE not in export.text
    with session_scope(site.engine) as session:
        assert len(entries(session, actor="dispatcher", action=AuditAction.EXPORT)) == before + 1


def test_a_conversation_is_masked_until_revealed_and_the_reveal_is_audited(
    make_client: Any, site: Site
) -> None:
    with session_scope(site.engine) as session:
        before = len(entries(session, actor="window", action=AuditAction.REVEAL))
    client = make_client()
    token = signed_in(client, "window")
    masked = client.get("/conversations", params={"openid": CITIZEN}).text
    assert MASKED_PHONE in masked and PHONE not in masked
    assert "市民 oCit…0001 最近的会话" in masked
    with session_scope(site.engine) as session:  # looking at the masked page is no reveal
        assert len(entries(session, actor="window", action=AuditAction.REVEAL)) == before
    revealed = client.post("/conversations/reveal", data={"csrf_token": token, "openid": CITIZEN})
    assert PHONE in revealed.text and texts.REVEALED in revealed.text
    with session_scope(site.engine) as session:
        entry = entries(session, actor="window", action=AuditAction.REVEAL)[0]
    assert entry.target == f"conversation:{CITIZEN}" and entry.at == NOW
    assert PHONE not in str(entry.detail) + entry.summary
    empty = client.get("/conversations", params={"openid": "nobody"})
    assert texts.CONVERSATION_EMPTY in empty.text
    broken = client.get("/conversations", params={"openid": "broken"})
    assert broken.status_code == 502 and texts.SERVER_ERROR in broken.text
    admin = make_client()
    signed_in(admin, "admin")
    log = text_of(admin.get("/staff/audit", params={"action": "reveal"}).text)
    assert "查看完整个人信息" in log and "conversation:oCit…0001" in log and CITIZEN not in log


def test_without_a_conversation_reader_the_page_says_so(make_client: Any) -> None:
    client = make_client(conversation_reader=None)
    signed_in(client, "dispatcher")
    page = client.get("/conversations", params={"openid": CITIZEN})
    assert page.status_code == 503 and texts.CONVERSATIONS_NOT_AVAILABLE in page.text


def test_an_admin_manages_accounts(make_client: Any, site: Site) -> None:
    client = make_client()
    token = signed_in(client, "admin")
    no_hall = client.post(
        "/staff", data={"csrf_token": token, "username": "clerk1", "role": "window", "hall": ""}
    )
    assert no_hall.status_code == 400 and "窗口人员账号须指定所在大厅" in no_hall.text
    added = client.post(
        "/staff",
        data={"csrf_token": token, "username": "clerk1", "role": "window", "hall": "H139900001"},
    )
    otp = re.search(r"一次性密码：([a-z0-9-]{14})", added.text)
    assert added.status_code == 200 and otp is not None
    fresh = make_client()
    first = fresh.post(
        "/login",
        data={
            "username": "clerk1",
            "password": otp.group(1),
            "csrf_token": csrf(fresh.get("/login").text),
        },
    )
    assert first.headers["location"] == "/password"
    reset = client.post("/staff/clerk1/reset", data={"csrf_token": token})
    assert "已为 clerk1 重置密码" in reset.text
    assert fresh.get("/password").status_code == 303  # the reset signed clerk1 out
    disabled = client.post("/staff/clerk1/disable", data={"csrf_token": token})
    assert disabled.headers["location"] == "/staff?done=disabled"
    listing = text_of(client.get("/staff").text)
    assert re.search(r"clerk1 窗口人员 H139900001 已停用", listing)
    last_admin = client.post("/staff/admin/disable", data={"csrf_token": token})
    assert last_admin.status_code == 400 and "最后一个可用的管理员账号" in last_admin.text
    with session_scope(site.engine) as session:
        actions = [e.action for e in entries(session, target="staff:clerk1")]
    assert actions == ["staff_disabled", "staff_password_reset", "staff_added"]


def test_the_dashboard_shows_cards_and_placeholders_by_role(make_client: Any) -> None:
    client = make_client()
    signed_in(client, "reviewer")
    page = client.get("/").text
    cards = dict(
        re.findall(r'data-card="(\w+)">\s*<h2>[^<]*</h2>\s*<p class="value">([^<]*)</p>', page)
    )
    assert cards["ratings"] == texts.OFF and cards["calendar"] == texts.OFF
    assert "bookings" not in cards and "tickets" not in cards
    assert cards["last_sync"] == "成功"
    assert int(cards["unanswered"]) >= 4
    assert "老年证（3 次）" in page
    window = make_client()
    signed_in(window, "window")
    shown = re.findall(r'data-card="(\w+)"', window.get("/").text)
    assert shown == ["bookings", "handoffs", "last_sync", "calendar"]
