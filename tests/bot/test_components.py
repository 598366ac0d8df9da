"""The Chinese tokenizer: no HMM, no whitespace tokens, and a fingerprint of its dictionary."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.components import BanshiJiebaTokenizer


def make_tokenizer(tmp_path: Path, dictionary: Path | None) -> BanshiJiebaTokenizer:
    config = {
        **BanshiJiebaTokenizer.get_default_config(),
        "dictionary_path": str(dictionary) if dictionary else None,
    }
    return BanshiJiebaTokenizer.create(
        config,
        LocalModelStorage(tmp_path / "storage"),
        Resource("tokenizer"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def words(tokenizer: BanshiJiebaTokenizer, text: str) -> list[str]:
    return [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")]


def test_whitespace_is_dropped_and_offsets_kept(tmp_path: Path) -> None:
    tokenizer = make_tokenizer(tmp_path, None)
    tokens = tokenizer.tokenize(Message(data={"text": "护照  在哪 办"}), "text")
    assert all(t.text.strip() for t in tokens)
    assert [(t.text, t.start) for t in tokens][0] == ("护照", 0)


def test_no_hmm_glue_and_dictionary_words_stay_whole(tmp_path: Path) -> None:
    directory = tmp_path / "jieba"
    directory.mkdir()
    (directory / "banshi_userdict.txt").write_text("一窗受理 2000 n\n", encoding="utf-8")
    tokenizer = make_tokenizer(tmp_path, directory)
    assert "一窗受理" in words(tokenizer, "一窗受理在哪")
    # With HMM, jieba glues unknown neighbours such as "9点办"; without it they stay apart.
    assert "点办" not in words(tokenizer, "明天9点办护照")


def test_fingerprint_follows_the_dictionary_contents(tmp_path: Path) -> None:
    directory = tmp_path / "jieba"
    directory.mkdir()
    (directory / "banshi_userdict.txt").write_text("护照 2000 n\n", encoding="utf-8")
    config = {"dictionary_path": str(directory)}
    before = BanshiJiebaTokenizer.fingerprint_addon(config)
    assert BanshiJiebaTokenizer.fingerprint_addon(config) == before
    (directory / "banshi_userdict.txt").write_text("护照 2000 n\n港澳通行证 2000 n\n")
    assert BanshiJiebaTokenizer.fingerprint_addon(config) != before


def test_a_missing_dictionary_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="dictionary directory"):
        make_tokenizer(tmp_path, tmp_path / "nowhere")
