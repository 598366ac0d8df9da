"""The catalog sync against a real database (SQLite and PostgreSQL), on the demo export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from app.settings import Settings
from banshi.db import session_scope
from banshi.models import (
    STATE_CANCELLED,
    Hall,
    Item,
    ItemChange,
    ItemVersion,
    Material,
    SyncRejection,
    SyncRun,
)
from catalog_sync import service
from catalog_sync.service import run_sync
from catalog_sync.status import catalog_status
from tests.conftest import DELTA, HALLS, ITEMS

ID_CARD_REISSUE = "11139900MB1A00010P3002011001003"  # 居民身份证补领: versions 4 and 3 in the file
SECOND_HAND_HOUSE = "11139900MB1A00070G3000713002001"  # 存量房转移登记: materials change in delta
E_BIKE = "11139900MB1A00011D3000712003000"  # 电动自行车注册登记: new in the delta
SKILL_CERT = "11139900MB1A00030E3002016010000"  # cancelled by the delta
MARRIAGE = "11139900MB1A00020K3000721001000"  # same record again in the delta


def count(engine: Engine, model: object) -> int:
    with session_scope(engine) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def item(engine: Engine, code: str) -> Item:
    with session_scope(engine) as s:
        found = s.execute(select(Item).where(Item.task_code == code)).scalar_one()
        _ = found.materials, found.situations, found.charges, found.questions, found.aliases
        return found


def test_sample_export_imports_valid_records_and_rejects_each_bad_one(
    engine: Engine, settings: Settings
) -> None:
    report = run_sync(str(ITEMS), engine, settings)

    assert report.status == "ok"
    assert report.counts["created"] == 82
    assert report.counts["superseded"] == 4
    rejected = {(r.line, r.task_guid) for r in report.rejections}
    assert rejected == {
        (23, "00000000-0000-4000-8000-000000000907"),  # truncated JSON line
        (36, "00000000-0000-4000-8000-000000000903"),  # TASK_CODE does not end in CATALOG_CODE
        (47, "00000000-0000-4000-8000-000000000901"),  # no TASK_NAME
        (69, "00000000-0000-4000-8000-000000000904"),  # TASK_TYPE 99
        (78, "00000000-0000-4000-8000-000000000905"),  # MATERIALS is a string
        (81, "00000000-0000-4000-8000-000000000906"),  # PROMISE_DAY -5
        (92, "00000000-0000-4000-8000-000000000902"),  # TASK_CODE of 30 characters
    }
    reasons = {r.line: r.reason for r in report.rejections}
    assert "TASK_NAME" in reasons[47]
    assert "31" in reasons[92]
    assert "PROMISE_DAY" in reasons[81]

    with session_scope(engine) as s:
        assert s.execute(select(func.count()).select_from(SyncRejection)).scalar_one() == 7 + 4
    status = _status(engine)
    assert status["items"] == {"active": 81, "suspended": 1, "cancelled": 0, "total": 82}
    assert status["last_sync"]["rejected"] == 7


def test_highest_version_wins_and_text_is_cleaned(engine: Engine, settings: Settings) -> None:
    run_sync(str(ITEMS), engine, settings)

    reissue = item(engine, ID_CARD_REISSUE)
    assert reissue.version == 4
    assert "<" not in reissue.accept_condition and "&nbsp;" not in reissue.handle_flow
    assert reissue.accept_condition.startswith("居民身份证")
    assert count(engine, ItemVersion) == 82  # the superseded lower versions are not imported

    with session_scope(engine) as s:
        names = set(s.execute(select(Item.name)).scalars())
    assert "社会保障卡挂失" in names  # was "\u3000社会保障卡挂失  "
    assert all(name == name.strip() and "\u3000" not in name for name in names)
    with session_scope(engine) as s:
        html_left = s.execute(
            select(func.count())
            .select_from(Item)
            .where(Item.accept_condition.contains("<p>") | Item.handle_flow.contains("<br"))
        ).scalar_one()
    assert html_left == 0


def test_items_keep_codes_children_and_aliases(engine: Engine, settings: Settings) -> None:
    run_sync(str(ITEMS), engine, settings)
    reissue = item(engine, ID_CARD_REISSUE)
    assert reissue.catalog_code == ID_CARD_REISSUE[19:]
    assert reissue.dept_code == ID_CARD_REISSUE[:18]
    assert reissue.situations and all(
        s.handle_item_code.startswith(ID_CARD_REISSUE) and len(s.handle_item_code) == 33
        for s in reissue.situations
    )
    assert [m.position for m in reissue.materials] == list(range(len(reissue.materials)))
    first_issue = item(engine, "11139900MB1A00010P3002011001001")  # 居民身份证首次申领
    assert {a.alias for a in first_issue.aliases} >= {"第一次办身份证", "满16岁办身份证"}
    assert count(engine, Material) > 400


def test_reimporting_the_same_export_changes_nothing_and_says_so(
    engine: Engine, settings: Settings
) -> None:
    run_sync(str(ITEMS), engine, settings)
    before = (count(engine, Item), count(engine, ItemVersion), count(engine, ItemChange))
    with session_scope(engine) as s:
        hashes = dict(s.execute(select(Item.task_code, Item.content_hash)).all())

    again = run_sync(str(ITEMS), engine, settings)

    assert again.status == "unchanged"
    assert "没有变化" in again.message
    assert again.counts["created"] == again.counts["updated"] == 0
    assert again.counts["unchanged"] == 82
    assert (count(engine, Item), count(engine, ItemVersion), count(engine, ItemChange)) == before
    with session_scope(engine) as s:
        assert dict(s.execute(select(Item.task_code, Item.content_hash)).all()) == hashes


def test_delta_adds_changes_and_cancels_keeping_the_previous_version(
    engine: Engine, settings: Settings
) -> None:
    run_sync(str(ITEMS), engine, settings)
    old_house = item(engine, SECOND_HAND_HOUSE)
    old_materials = [m.name for m in old_house.materials]

    report = run_sync(str(DELTA), engine, settings)

    assert report.counts["created"] == 1
    assert report.counts["updated"] == 3
    assert report.counts["cancelled"] == 1
    assert report.counts["unchanged"] == 1  # the marriage record came again, identical
    assert [(r.line, r.task_guid) for r in report.rejections] == [
        (6, "00000000-0000-4000-8000-000000000999")
    ]
    assert item(engine, E_BIKE).name == "电动自行车注册登记"

    house = item(engine, SECOND_HAND_HOUSE)
    assert house.version == 5
    assert [m.name for m in house.materials] != old_materials
    with session_scope(engine) as s:
        versions = s.execute(
            select(ItemVersion.version, ItemVersion.superseded_at)
            .where(ItemVersion.task_code == SECOND_HAND_HOUSE)
            .order_by(ItemVersion.version)
        ).all()
        change = s.execute(
            select(ItemChange).where(
                ItemChange.task_code == SECOND_HAND_HOUSE, ItemChange.kind != "created"
            )
        ).scalar_one()
        run = s.execute(select(SyncRun).where(SyncRun.id == report.sync_id)).scalar_one()
    assert [v.version for v in versions] == [4, 5]
    assert versions[0].superseded_at is not None and versions[1].superseded_at is None
    assert (change.kind, change.from_version, change.to_version) == ("updated", 4, 5)
    assert "MATERIALS" in change.fields and "TASK_VERSION" in change.fields
    assert "BY_LAW" not in change.fields
    assert change.sync_id == run.id and run.source.endswith("delta-20261120.jsonl")

    cancelled = item(engine, SKILL_CERT)
    assert cancelled.state == STATE_CANCELLED and cancelled.cancelled_at is not None
    with session_scope(engine) as s:
        kinds = set(s.execute(select(ItemChange.kind).where(ItemChange.task_code == SKILL_CERT)))
    assert ("cancelled",) in kinds
    assert item(engine, MARRIAGE).version == 1

    status = _status(engine)
    assert status["items"]["cancelled"] == 1
    assert status["items"]["active"] == 81  # +1 new, -1 cancelled


def test_older_version_than_stored_is_not_applied(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    run_sync(str(ITEMS), engine, settings)
    run_sync(str(DELTA), engine, settings)
    old = _line_with(ITEMS, f'"TASK_CODE": "{SECOND_HAND_HOUSE}"')
    stale_file = tmp_path / "old.jsonl"
    stale_file.write_text(old + "\n", encoding="utf-8")

    report = run_sync(str(stale_file), engine, settings)

    assert report.status == "unchanged"
    assert report.counts["stale"] == 1
    assert item(engine, SECOND_HAND_HOUSE).version == 5


def test_bad_records_are_rejected_one_by_one_and_sparse_ones_import(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    good = json.loads(_line_with(ITEMS, f'"TASK_CODE": "{ID_CARD_REISSUE}", "TASK_TYPE"'))
    sparse = {k: good[k] for k in ("TASK_GUID", "TASK_CODE", "CATALOG_CODE", "TASK_TYPE")}
    sparse |= {"TASK_NAME": "只有必填字段的事项", "TASK_VERSION": "7", "TASK_STATE": "1"}
    lines = [
        json.dumps(sparse, ensure_ascii=False),
        json.dumps(good | {"TASK_GUID": "g-list", "TASK_NAME": ["不是文本"]}, ensure_ascii=False),
        json.dumps(good | {"TASK_GUID": "g-state", "TASK_STATE": "9"}, ensure_ascii=False),
        json.dumps(good | {"TASK_GUID": "g-sit", "SITUATIONS": [{"TASK_HANDLE_ITEM": "1"}]}),
        "[1, 2, 3]",
        "\x00not json at all",
    ]
    path = tmp_path / "dirty.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")

    report = run_sync(str(path), engine, settings)

    assert report.counts["created"] == 1
    assert {r.line for r in report.rejections} == {2, 3, 4, 5, 6}
    assert {r.task_guid for r in report.rejections} >= {"g-list", "g-state", "g-sit"}
    stored = item(engine, ID_CARD_REISSUE)
    assert stored.name == "只有必填字段的事项"
    assert stored.materials == [] and stored.promise_day is None


def test_an_interrupted_sync_leaves_the_previous_catalog_intact(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_sync(str(ITEMS), engine, settings)
    before = (count(engine, Item), count(engine, ItemVersion), count(engine, Material))
    real_import = service.import_items

    def import_then_ctrl_c(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_import(*args, **kwargs)  # every row written, not yet committed
        raise KeyboardInterrupt

    monkeypatch.setattr(service, "import_items", import_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        run_sync(str(DELTA), engine, settings)

    assert (count(engine, Item), count(engine, ItemVersion), count(engine, Material)) == before
    assert item(engine, SECOND_HAND_HOUSE).version == 4
    with session_scope(engine) as s:
        last = s.execute(select(SyncRun).order_by(SyncRun.id.desc()).limit(1)).scalar_one()
    assert last.status == "failed" and "KeyboardInterrupt" in last.message

    monkeypatch.setattr(service, "import_items", real_import)
    assert run_sync(str(DELTA), engine, settings).counts["created"] == 1


def test_halls_with_windows_and_hours(engine: Engine, settings: Settings) -> None:
    report = run_sync(str(HALLS), engine, settings)
    assert report.kind == "halls" and report.counts["created"] == 5
    with session_scope(engine) as s:
        hall = s.execute(select(Hall).where(Hall.code == "H139900001")).scalar_one()
        windows = {w.window_no: w.task_codes for w in hall.windows}
    assert hall.weekly_hours["sun"] == [] and hall.weekly_hours["sat"] == [["09:00", "12:00"]]
    assert hall.holiday_rule == "closed"
    assert ID_CARD_REISSUE in windows["F01"]
    assert run_sync(str(HALLS), engine, settings).status == "unchanged"


def test_jieba_dictionary_is_regenerated_after_a_sync(engine: Engine, settings: Settings) -> None:
    run_sync(str(ITEMS), engine, settings)
    words = (settings.jieba_dir / "banshi_userdict.txt").read_text(encoding="utf-8")
    assert "居民身份证补领 " in words and "电动自行车注册登记" not in words
    run_sync(str(DELTA), engine, settings)
    words = (settings.jieba_dir / "banshi_userdict.txt").read_text(encoding="utf-8")
    assert "电动自行车注册登记 " in words
    assert "职业技能等级证书查询与补发 " not in words  # cancelled items leave the dictionary


def _status(engine: Engine) -> dict:
    with session_scope(engine) as s:
        return catalog_status(s)


def _line_with(path: Path, needle: str) -> str:
    return next(line for line in path.read_text(encoding="utf-8").splitlines() if needle in line)


def test_where_an_item_is_handled_follows_a_hall_sync(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    from banshi.catalog import hall_generation, place_of

    run_sync(str(ITEMS), engine, settings)
    run_sync(str(HALLS), engine, settings)
    with session_scope(engine) as s:
        house = s.execute(select(Item).where(Item.task_code == SECOND_HAND_HOUSE)).scalar_one()
        first = place_of(s, house)
        again = place_of(s, house)  # read once per hall generation
        generation = hall_generation(s)
    assert first.hall is not None and first.window is not None
    assert again.hall is first.hall  # the same (cached) hall, not a new query's
    # the hall export moves the item to another window
    halls = json.loads(HALLS.read_text(encoding="utf-8"))
    for hall in halls:
        for window in hall["WINDOWS"]:
            window["TASK_CODES"] = [c for c in window["TASK_CODES"] if c != SECOND_HAND_HOUSE]
        if hall["HALL_NAME"] == first.hall.name:
            hall["WINDOWS"].append(
                {"WINDOW_NO": "99", "WINDOW_NAME": "综合窗口", "TASK_CODES": [SECOND_HAND_HOUSE]}
            )
    moved = tmp_path / "halls.json"
    moved.write_text(json.dumps(halls, ensure_ascii=False), encoding="utf-8")
    assert run_sync(str(moved), engine, settings).status == "ok"
    with session_scope(engine) as s:
        house = s.execute(select(Item).where(Item.task_code == SECOND_HAND_HOUSE)).scalar_one()
        after = place_of(s, house)
        assert hall_generation(s) != generation
    assert after.window is not None and after.window.window_no == "99"


def test_cleaning_repeated_texts_once_changes_no_record() -> None:
    from catalog_sync.records import _cleaned, clean_item

    raw = json.loads(ITEMS.read_text(encoding="utf-8-sig").splitlines()[0])
    raw["ACCEPT_CONDITION"] = "<p>申请人　须本人到场&nbsp;办理</p>"
    _cleaned.cache_clear()
    first = clean_item(dict(raw), 1)
    second = clean_item(dict(raw), 2)  # every text now comes from the cache
    assert first.data == second.data and first.content_hash == second.content_hash
    assert first.data["ACCEPT_CONDITION"] == "申请人 须本人到场 办理"
    assert _cleaned.cache_info().hits > 0
