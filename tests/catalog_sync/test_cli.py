"""The `banshi` console script, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import DELTA, HALLS, ITEMS

BANSHI = [str(Path(sys.executable).with_name("banshi"))]


def run(args: list[str], var: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"BANSHI_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return subprocess.run(BANSHI + args, env=env, capture_output=True, text=True, timeout=120)


def test_sync_then_status_json(tmp_path: Path) -> None:
    synced = run(["catalog", "sync", str(ITEMS), str(HALLS), str(DELTA)], tmp_path)
    assert synced.returncode == 0, synced.stderr
    assert "拒收 第 47 行" in synced.stdout
    assert (tmp_path / "banshi.db").exists()  # the embedded SQLite default

    status = run(["catalog", "status", "--json"], tmp_path)
    data = json.loads(status.stdout)
    assert data["items"]["active"] == 81
    assert data["items"]["suspended"] == 1
    assert data["items"]["cancelled"] == 1
    assert data["halls"] == 5
    assert data["last_sync"]["rejected"] == 1  # the delta's one invalid record

    again = run(["catalog", "sync", str(ITEMS)], tmp_path)
    assert "没有变化" in again.stdout

    text = run(["catalog", "status"], tmp_path)
    assert "在用 81" in text.stdout and "暂停 1" in text.stdout


def test_missing_file_fails_politely(tmp_path: Path) -> None:
    result = run(["catalog", "sync", str(tmp_path / "nope.jsonl")], tmp_path)
    assert result.returncode == 2
    assert "无法读取文件" in result.stderr and "Traceback" not in result.stderr
