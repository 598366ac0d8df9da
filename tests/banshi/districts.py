"""A 事项 implemented by the city and two districts (the demo's passport, copied per district,
and one 子项 of it), synced into the test catalog: shared by the resolution and guide tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from app.settings import Settings

PASSPORT = "11139900MB1A00010P3000111001000"  # 普通护照签发 (the demo's own, 市本级)
DISTRICTS = [  # (区划 in the credit code, name, hall) — 市本级 is the demo's own record
    ("139902", "桥西区", "示范市桥西区社区事务受理服务中心"),
    ("139903", "桥东区", "示范市桥东区政务服务中心"),
]
HK_PASSPORT_NAME = "普通护照签发（港澳台居民）"


def _passport_record() -> dict[str, object]:
    import json

    from tests.conftest import ITEMS

    for line in ITEMS.read_text(encoding="utf-8-sig").splitlines():
        if '"TASK_CODE": "11139900MB1A00010P3000111001000"' in line:
            return dict(json.loads(line))
    raise AssertionError("the demo export lost its passport record")


def _variant(record: dict[str, object], dept: str, name: str, center: str, catalog: str):  # type: ignore[no-untyped-def]
    import copy
    import uuid

    rec = copy.deepcopy(record)
    rec.update(
        TASK_GUID=str(uuid.uuid4()),
        DEPT_CODE=dept,
        USE_LEVEL="4",
        CATALOG_CODE=catalog,
        TASK_CODE=dept + "4" + catalog,
        DEPT_NAME=name,
        CENTER_NAME=center,
    )
    rec["SITUATIONS"] = [
        s | {"TASK_HANDLE_ITEM": f"{rec['TASK_CODE']}{i:02d}"}
        for i, s in enumerate(rec["SITUATIONS"], 1)  # type: ignore[arg-type]
    ]
    return rec


def sync_districts(catalog: Engine, settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The passport implemented by the city and two districts, and one 子项 of it, synced;
    the districts' task codes by name."""
    import json

    from catalog_sync.service import run_sync

    record = _passport_record()
    catalog_code = str(record["CATALOG_CODE"])
    records = [
        _variant(record, f"11{region}MB1A00010P", f"示范市{name}公安局", hall, catalog_code)
        for region, name, hall in DISTRICTS
    ]
    sub = _variant(record, "11139900MB1A00010P", "示范市公安局", "", catalog_code[:-3] + "099")
    sub.update(TASK_NAME=HK_PASSPORT_NAME, USE_LEVEL="3")
    sub["TASK_CODE"] = "11139900MB1A00010P3" + sub["CATALOG_CODE"]
    sub["SITUATIONS"] = []
    path = tmp_path / "districts.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [*records, sub]))
    report = run_sync(str(path), catalog, settings)
    assert report.counts["created"] == 3
    return {name: str(r["TASK_CODE"]) for (_, name, _), r in zip(DISTRICTS, records, strict=True)}
