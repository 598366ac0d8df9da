"""``banshi train``: retrain exactly when an input or the dictionary changed (no real training)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app import training
from app.settings import PROJECT_ROOT, Settings, load_settings


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project root with the real training inputs and an empty catalog database."""
    root = tmp_path / "project"
    for name in ("config.yml", "bot/domain.yml", "bot/data", "nlu_data", "bot/components"):
        source, target = PROJECT_ROOT / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    return root


@pytest.fixture
def settings(root: Path) -> Settings:
    base = load_settings({"BANSHI_VAR_DIR": str(root / "var")})
    return replace(base, lexicon_path=PROJECT_ROOT / "banshi" / "data" / "lexicon.yml")


class FakeRasa:
    """Records ``rasa train`` calls and leaves a model where Rasa would."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: list[list[str]] = []

    def __call__(self, command: list[str], cwd: Path, **_: Any) -> subprocess.CompletedProcess:
        self.calls.append(command)
        assert cwd == self.root
        (self.root / "models").mkdir(exist_ok=True)
        training.model_path(self.root).write_bytes(b"model")
        return subprocess.CompletedProcess(command, 0)


def test_trains_when_missing_skips_when_current_retrains_on_change(
    root: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    rasa = FakeRasa(root)
    monkeypatch.setattr(training.subprocess, "run", rasa)

    first = training.train(settings, root)
    assert first.trained and (root / "var" / "jieba" / "banshi_userdict.txt").exists()
    assert rasa.calls[0][1:] == [
        "-m",
        "rasa",
        "train",
        "--config",
        "config.yml",
        "--domain",
        "bot/domain.yml",
        "--data",
        "nlu_data",
        "bot/data",
        "--out",
        "models",
        "--fixed-model-name",
        "banshi",
    ]

    assert not training.train(settings, root).trained
    assert training.train(settings, root, force=True).trained
    assert rasa.calls[-1][-1] == "--force"

    rules = root / "bot" / "data" / "rules.yml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert training.train(settings, root).trained
    assert len(rasa.calls) == 3


def test_a_changed_dictionary_changes_the_fingerprint(root: Path, settings: Settings) -> None:
    training.write_dictionary(settings, root)
    before = training.fingerprint(settings, root)
    assert training.fingerprint(settings, root) == before
    (root / "var" / "jieba" / "banshi_userdict.txt").write_text("一窗受理 2000 n\n")
    assert training.fingerprint(settings, root) != before


def test_a_dictionary_elsewhere_than_config_is_refused(root: Path, settings: Settings) -> None:
    elsewhere = replace(settings, jieba_dir=root / "other" / "jieba")
    with pytest.raises(training.TrainingError, match="dictionary_path"):
        training.write_dictionary(elsewhere, root)


def test_a_failed_training_is_an_error_and_leaves_no_fingerprint(
    root: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(command: list[str], **_: Any) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess(command, 1)

    monkeypatch.setattr(training.subprocess, "run", failing)
    with pytest.raises(training.TrainingError, match="exit code 1"):
        training.train(settings, root)
    assert not (root / "models" / ".fingerprint").exists()
