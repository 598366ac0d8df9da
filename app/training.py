"""Training the Rasa model only when something it is trained from has changed.

The model depends on the training data and configuration *and* on the jieba user dictionary,
which is written from the catalog. ``train`` regenerates the dictionary from the database,
fingerprints every input, and runs ``rasa train`` only when ``models/.fingerprint`` differs
(Rasa's own cache does not notice a changed dictionary file).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.settings import PROJECT_ROOT, Settings
from banshi.db import get_engine, migrate, session_scope
from banshi.lexicon import load_lexicon
from banshi.userdict import dictionary_hash, write_user_dict

MODEL_NAME = "banshi"
CONFIG = "config.yml"
DOMAIN = "bot/domain.yml"
DATA = ("nlu_data", "bot/data")
# Everything the model is trained from, besides the dictionary (bot/components holds the
# tokenizer and the featurizers: a change there changes the features).
INPUTS = (CONFIG, DOMAIN, *DATA, "bot/components")
TOKENIZER = "bot.components.BanshiJiebaTokenizer"


class TrainingError(RuntimeError):
    """Training could not run or failed; the message says what to do."""


@dataclass(frozen=True)
class TrainResult:
    trained: bool  # False: the model was already up to date
    model: Path
    fingerprint: str
    seconds: float


def model_path(root: Path = PROJECT_ROOT) -> Path:
    return root / "models" / f"{MODEL_NAME}.tar.gz"


def rasa_command(*args: str) -> list[str]:
    """``rasa`` from this interpreter's environment, whatever is first on PATH."""
    return [sys.executable, "-m", "rasa", *args]


def configured_dictionary_dir(root: Path = PROJECT_ROOT) -> Path:
    """The tokenizer's ``dictionary_path`` in config.yml (relative to the project root)."""
    config = yaml.safe_load((root / CONFIG).read_text(encoding="utf-8")) or {}
    for component in config.get("pipeline") or []:
        if component.get("name") == TOKENIZER and component.get("dictionary_path"):
            return (root / component["dictionary_path"]).resolve()
    raise TrainingError(f"{root / CONFIG}: no {TOKENIZER} with a 'dictionary_path'")


def write_dictionary(settings: Settings, root: Path = PROJECT_ROOT) -> Path:
    """Write the jieba user dictionary from the catalog into the directory config.yml names."""
    directory = configured_dictionary_dir(root)
    if settings.jieba_dir.resolve() != directory:
        raise TrainingError(
            f"config.yml trains with the dictionary in {directory}, but the settings write it "
            f"to {settings.jieba_dir.resolve()} (BANSHI_VAR_DIR or BANSHI_JIEBA_DIR is set). "
            "Unset them, or point the tokenizer's dictionary_path at the same directory."
        )
    engine = get_engine(settings.database_url)
    migrate(engine)
    with session_scope(engine) as session:
        write_user_dict(session, load_lexicon(settings.lexicon_path), directory)
    return directory


def fingerprint(settings: Settings, root: Path = PROJECT_ROOT) -> str:
    """A hash of every training input, the lexicon, the dictionary and Rasa's version."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"rasa {version('rasa')}\n".encode())
    paths = [settings.lexicon_path]
    for name in INPUTS:
        path = root / name
        if path.is_dir():  # compiled caches come and go with imports: not an input
            paths.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            )
        else:
            paths.append(path)
    for path in paths:
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
        digest.update(b"\0")
    digest.update(dictionary_hash(configured_dictionary_dir(root)).encode())
    return digest.hexdigest()


def _stamp(root: Path) -> Path:
    return root / "models" / ".fingerprint"


def is_current(current: str, root: Path = PROJECT_ROOT) -> bool:
    stamp = _stamp(root)
    return (
        model_path(root).exists()
        and stamp.exists()
        and stamp.read_text(encoding="utf-8").strip() == current
    )


def train(settings: Settings, root: Path = PROJECT_ROOT, force: bool = False) -> TrainResult:
    """Regenerate the dictionary, then train unless the model matches every input."""
    write_dictionary(settings, root)
    current = fingerprint(settings, root)
    if not force and is_current(current, root):
        return TrainResult(False, model_path(root), current, 0.0)
    command = rasa_command(
        "train",
        "--config",
        CONFIG,
        "--domain",
        DOMAIN,
        "--data",
        *DATA,
        "--out",
        "models",
        "--fixed-model-name",
        MODEL_NAME,
        *(["--force"] if force else []),
    )
    started = time.monotonic()
    result = subprocess.run(command, cwd=root)
    seconds = time.monotonic() - started
    if result.returncode != 0 or not model_path(root).exists():
        raise TrainingError(
            f"'rasa train' failed (exit code {result.returncode}); its output above says why."
        )
    stamp = _stamp(root)
    tmp = stamp.with_name(f".fingerprint.{os.getpid()}.tmp")
    tmp.write_text(current + "\n", encoding="utf-8")
    os.replace(tmp, stamp)
    return TrainResult(True, model_path(root), current, seconds)
