"""Every setting, read from the environment in one place, with embedded defaults.

With nothing set Banshi runs on a SQLite file under ``var/`` and in-process stand-ins for
Redis, so a developer can start it from a clean clone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    var_dir: Path
    jieba_dir: Path
    lexicon_path: Path
    notice_prefix: str = "BS"  # 告知单编号前缀: BS2026000123
    public_url: str = "http://127.0.0.1:5005"  # where citizens open served pages; no trailing /

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build the settings from ``env`` (default: ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    var_dir = Path(env.get("BANSHI_VAR_DIR") or PROJECT_ROOT / "var")
    database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'banshi.db'}"
    return Settings(
        database_url=database_url,
        redis_url=env.get("REDIS_URL") or None,
        var_dir=var_dir,
        jieba_dir=Path(env.get("BANSHI_JIEBA_DIR") or var_dir / "jieba"),
        lexicon_path=Path(
            env.get("BANSHI_LEXICON") or PROJECT_ROOT / "banshi" / "data" / "lexicon.yml"
        ),
        notice_prefix=env.get("BANSHI_NOTICE_PREFIX") or "BS",
        public_url=(env.get("BANSHI_PUBLIC_URL") or "http://127.0.0.1:5005").rstrip("/"),
    )
