"""The intent examples of nlu_data/, annotations removed: what the eval scripts feed the bot."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

NLU_DATA = Path(__file__).resolve().parent.parent / "nlu_data"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def training_texts(intent: str | None = None) -> list[str]:
    """Every example of ``intent`` (of every intent when None), as plain text."""
    texts = []
    for path in sorted(NLU_DATA.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" not in block or (intent and block["intent"] != intent):
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.append(_ANNOTATION.sub(r"\1", line[2:]).strip())
    return [t for t in texts if t]
