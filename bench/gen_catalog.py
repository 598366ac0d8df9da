"""Generate a synthetic provincial export (SCHEMA.md format) for the catalog sync benchmark.

The valid records of the demo export (demo/catalog/items.jsonl) are the templates: every
generated item copies the shape and text of one of them (so text lengths are realistic) and
varies the name, the implementing department, the codes, the materials (3-7), the
situations (0-3), the charges, the questions and the search keywords. Every code is valid:

- CATALOG_CODE: 12 digits, 区划 2 + TASK_TYPE 2 + 主项 5 + 子项 3;
- TASK_CODE: DEPT_CODE (18, charset [0-9A-HJ-NPQRTUWXY]) + USE_LEVEL + CATALOG_CODE, unique;
- SITUATIONS[].TASK_HANDLE_ITEM: TASK_CODE + 2 digits.

The output is deterministic for a given ``--seed``.

    python bench/gen_catalog.py --items 10000 --out DIR

writes DIR/items.jsonl (N items, all TASK_STATE 1), DIR/delta.jsonl (``--delta`` records,
default 100: new versions of existing items with changed materials/fees, a few new items and
a few cancellations) and DIR/manifest.json (what was generated, for checking the import).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalog_sync.records import InvalidRecord, clean_item  # noqa: E402

DEMO_ITEMS = ROOT / "demo" / "catalog" / "items.jsonl"
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# (region name, 6-digit 区划 used in the credit code, USE_LEVEL)
REGIONS = [
    ("示范市", "139900", "3"),
    ("示范市桥西区", "139902", "4"),
    ("示范市桥东区", "139903", "4"),
    ("示范市新华区", "139904", "4"),
    ("示范市裕华区", "139905", "4"),
    ("示范市长安区", "139906", "4"),
    ("示范市鹿泉区", "139907", "4"),
    ("示范市正定县", "139908", "4"),
]
# Real catalogs split one item into several 子项; these make the names vary per 基本编码.
QUALIFIERS = [
    "",
    "（首次办理）",
    "（变更）",
    "（延续）",
    "（注销）",
    "（补领）",
    "（换领）",
    "（个人）",
    "（单位）",
    "（委托代办）",
    "（线上办理）",
    "（跨省通办）",
    "（承诺制）",
    "（简易程序）",
    "（港澳台居民）",
    "（外籍人员）",
]
SITUATION_EXTRA = [
    "本人办理",
    "委托他人代办",
    "线上申请",
    "窗口申请",
    "信息变更",
    "证件遗失补办",
    "到期换领",
    "首次申请",
]


def load_templates(path: Path = DEMO_ITEMS) -> list[dict[str, Any]]:
    """The raw demo records that the sync accepts, one per TASK_CODE."""
    templates: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        try:
            raw = json.loads(line)
            clean_item(raw, number)
        except (json.JSONDecodeError, InvalidRecord):
            continue
        templates.setdefault(raw["TASK_CODE"], raw)
    return list(templates.values())


class Generator:
    def __init__(self, seed: int, templates: list[dict[str, Any]]) -> None:
        self.rng = random.Random(seed)
        self.templates = templates
        self.materials = [m for t in templates for m in t.get("MATERIALS") or []]
        self.questions = [q for t in templates for q in t.get("QUESTIONS") or []]
        self.charges = [c for t in templates for c in t.get("CHARGES") or []]
        self.situation_names = [s["NAME"] for t in templates for s in t.get("SITUATIONS") or []]
        self.keywords = sorted(
            {
                w
                for t in templates
                for w in (t.get("SEARCH_KEYWORDS") or "").replace("，", ";").split(";")
                if w.strip()
            }
        )
        self.codes: set[str] = set()
        self.depts: dict[tuple[str, str], str] = {}  # (template dept code, region) -> code

    # ---------------------------------------------------------------- codes
    def dept_code(self, template_code: str, region: tuple[str, str, str]) -> str:
        key = (template_code, region[1])
        if key not in self.depts:
            tail = "".join(self.rng.choice(CREDIT_CHARSET) for _ in range(6))
            code = template_code[:2] + region[1] + "MB1A" + tail
            assert len(code) == 18
            self.depts[key] = code
        return self.depts[key]

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def date(self, month_from: int, month_to: int) -> str:
        rng = self.rng
        return (
            f"2026-{rng.randint(month_from, month_to):02d}-{rng.randint(1, 28):02d} "
            f"{rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
        )

    # ---------------------------------------------------------------- items
    def item(self, kind: int, region_index: int) -> dict[str, Any]:
        """The item of 基本编码 number ``kind`` implemented in ``REGIONS[region_index]``."""
        rng = random.Random(kind * 7919 + 17)  # per kind: the same name/template in each region
        template = self.templates[kind % len(self.templates)]
        qualifier = QUALIFIERS[(kind // len(self.templates)) % len(QUALIFIERS)]
        region = REGIONS[region_index % len(REGIONS)]
        rec = copy.deepcopy(template)
        rng_item = self.rng

        task_type = template["TASK_TYPE"]
        catalog = (
            f"{template['CATALOG_CODE'][:2]}{task_type}{kind + 1:05d}{rng.randint(0, 999):03d}"
        )
        dept = self.dept_code(template["DEPT_CODE"], region)
        task_code = dept + region[2] + catalog
        assert task_code not in self.codes, task_code
        self.codes.add(task_code)

        base_name = template["TASK_NAME"]
        rec["TASK_GUID"] = self.guid()
        rec["TASK_NAME"] = base_name + qualifier
        rec["CATALOG_CODE"] = catalog
        rec["TASK_CODE"] = task_code
        rec["TASK_VERSION"] = rng_item.randint(1, 5)
        rec["TASK_STATE"] = "1"
        rec["UPDATE_DATE"] = self.date(1, 10)
        rec["DEPT_CODE"] = dept
        rec["USE_LEVEL"] = region[2]
        if region_index:
            rec["DEPT_NAME"] = template["DEPT_NAME"].replace("示范市", region[0], 1)
            rec["CENTER_NAME"] = f"{region[0]}政务服务中心"
            rec["TRANSACT_ADDR"] = (
                f"{region[0]}{rng_item.choice('建设人民中山胜利和平')}路{rng_item.randint(1, 300)}号"
            )

        # SEARCH_KEYWORDS: some of the template's plus a few from the whole pool.
        own = [
            w for w in (template.get("SEARCH_KEYWORDS") or "").replace("，", ";").split(";") if w
        ]
        words = rng_item.sample(own, k=min(len(own), rng_item.randint(1, max(1, len(own)))))
        words += rng_item.sample(self.keywords, k=rng_item.randint(0, 2))
        rec["SEARCH_KEYWORDS"] = rng_item.choice([";", "，"]).join(dict.fromkeys(words))

        # SITUATIONS: 0-3, each with a valid 33-character code.
        count = rng_item.choices([0, 1, 2, 3], weights=[45, 20, 25, 10])[0]
        names = [s["NAME"] for s in template.get("SITUATIONS") or []]
        names += [n for n in rng_item.sample(SITUATION_EXTRA, k=3) if n not in names]
        rec["SITUATIONS"] = [
            {"TASK_HANDLE_ITEM": f"{task_code}{j:02d}", "NAME": names[j - 1]}
            for j in range(1, count + 1)
        ]

        # MATERIALS: 3-7, the template's first, then others from the pool.
        count = min(7, max(3, round(rng_item.triangular(3, 7, 5))))
        materials = [copy.deepcopy(m) for m in template.get("MATERIALS") or []][:count]
        seen = {m["MATERIAL_NAME"] for m in materials}
        while len(materials) < count:
            extra = rng_item.choice(self.materials)
            if extra["MATERIAL_NAME"] not in seen:
                seen.add(extra["MATERIAL_NAME"])
                materials.append(copy.deepcopy(extra) | {"HANDLE_CASE": ""})
        rec["MATERIALS"] = materials

        # CHARGES: the template's (if it charges), sometimes a second one; IS_FEE follows.
        charges = [copy.deepcopy(c) for c in template.get("CHARGES") or []]
        if charges and rng_item.random() < 0.2:
            charges.append(copy.deepcopy(rng_item.choice(self.charges)))
        rec["CHARGES"] = charges
        rec["IS_FEE"] = "1" if charges else "0"

        # QUESTIONS: 1-3.
        questions = [copy.deepcopy(q) for q in template.get("QUESTIONS") or []]
        count = rng_item.randint(1, 3)
        while len(questions) < count:
            questions.append(copy.deepcopy(rng_item.choice(self.questions)))
        rec["QUESTIONS"] = questions[:count]

        # A little of the dirt real exports carry (all of it cleans to valid values).
        if rng_item.random() < 0.05:
            rec["ACCEPT_CONDITION"] = f"<p>{rec['ACCEPT_CONDITION']}</p>&nbsp;"
        if rng_item.random() < 0.05:
            rec["TASK_NAME"] = f"  {rec['TASK_NAME']}\u3000"
        if rng_item.random() < 0.05:
            rec["CONSULT_PHONE"] = rec["CONSULT_PHONE"].translate(
                {ord(d): ord(d) + 0xFEE0 for d in "0123456789-"}
            )
        return rec

    def items(self, n: int) -> list[dict[str, Any]]:
        return [self.item(i // len(REGIONS), i % len(REGIONS)) for i in range(n)]

    # ---------------------------------------------------------------- delta
    def delta(
        self, items: list[dict[str, Any]], k: int
    ) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
        """``k`` records: new versions of existing items, a few new items and cancellations."""
        rng = self.rng
        if k <= 0:
            return [], {"updated": [], "cancelled": [], "created": []}
        n_new = max(1, round(k * 0.05)) if k >= 3 else 0
        n_cancel = max(1, round(k * 0.05)) if k >= 3 else 0
        n_update = k - n_new - n_cancel
        picked = rng.sample(range(len(items)), k=n_update + n_cancel)
        records: list[dict[str, Any]] = []
        manifest: dict[str, list[str]] = {"updated": [], "cancelled": [], "created": []}

        for index in picked[:n_update]:
            rec = copy.deepcopy(items[index])
            rec["TASK_VERSION"] += 1
            rec["UPDATE_DATE"] = self.date(11, 11)
            materials = rec["MATERIALS"]
            change = rng.choice(["add", "drop", "edit"])
            if change == "add" and len(materials) < 7 or change == "drop" and len(materials) <= 3:
                extra = copy.deepcopy(rng.choice(self.materials)) | {"HANDLE_CASE": ""}
                extra["MATERIAL_NAME"] += "（2026年11月起新增）"
                materials.append(extra)
            elif change == "drop":
                materials.pop(rng.randrange(len(materials)))
            else:
                target = rng.choice(materials)
                target["FILL_EXPLAIN"] = (
                    target.get("FILL_EXPLAIN") or ""
                ) + "自2026年11月20日起可提交电子证照，无需再提供纸质复印件。"
                target["COPIESNUM"] = 0
            if rec["CHARGES"]:
                rec["CHARGES"][0]["FEE_STAND"] = f"{rng.randint(5, 200)}元/件（2026年11月调整）"
            else:
                rec["PROMISE_DAY"] = max(0, int(rec.get("PROMISE_DAY") or 0) - 1)
            records.append(rec)
            manifest["updated"].append(rec["TASK_CODE"])

        for index in picked[n_update:]:
            rec = copy.deepcopy(items[index])
            rec["TASK_VERSION"] += 1
            rec["TASK_STATE"] = "3"
            rec["UPDATE_DATE"] = self.date(11, 11)
            records.append(rec)
            manifest["cancelled"].append(rec["TASK_CODE"])

        first_new_kind = len(items) // len(REGIONS) + 1
        for j in range(n_new):
            rec = self.item(first_new_kind + j, j)
            rec["TASK_VERSION"] = 1
            rec["UPDATE_DATE"] = self.date(11, 11)
            records.append(rec)
            manifest["created"].append(rec["TASK_CODE"])

        rng.shuffle(records)
        return records, manifest


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for rec in records:
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")


def generate(out: Path, n_items: int, n_delta: int = 100, seed: int = 20261120) -> dict[str, Any]:
    """Write items.jsonl, delta.jsonl and manifest.json to ``out``; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    gen = Generator(seed, load_templates())
    items = gen.items(n_items)
    delta, changes = gen.delta(items, n_delta)
    write_jsonl(out / "items.jsonl", items)
    write_jsonl(out / "delta.jsonl", delta)
    manifest = {
        "seed": seed,
        "items": len(items),
        "delta": len(delta),
        "delta_updated": len(changes["updated"]),
        "delta_cancelled": len(changes["cancelled"]),
        "delta_created": len(changes["created"]),
        "changes": changes,
        "items_bytes": (out / "items.jsonl").stat().st_size,
        "materials": sum(len(r["MATERIALS"]) for r in items),
        "situations": sum(len(r["SITUATIONS"]) for r in items),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000, help="number of items (10000)")
    parser.add_argument("--delta", type=int, default=100, help="records in delta.jsonl (100)")
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args(argv)
    manifest = generate(args.out, args.items, args.delta, args.seed)
    print(
        f"{args.out}/items.jsonl: {manifest['items']} items "
        f"({manifest['items_bytes'] / 1e6:.1f} MB, {manifest['materials']} materials); "
        f"{args.out}/delta.jsonl: {manifest['delta']} records "
        f"({manifest['delta_updated']} new versions, {manifest['delta_cancelled']} cancelled, "
        f"{manifest['delta_created']} new)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
