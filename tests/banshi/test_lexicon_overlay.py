"""The lexicon overlay: words staff add for an item, in the shape of the lexicon's term map,
with a generation that changes on every edit."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.lexicon import Lexicon
from banshi.lexicon_overlay import (
    OverlayError,
    add_word,
    add_word_for_item,
    list_entries,
    overlay_entries,
    overlay_generation,
    remove_word,
    with_overlay,
)
from banshi.models import Item

NOW = datetime(2026, 12, 7, 9, 0)
CODE = "11139900MB1A00010P3002099001000"


def _item(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(
            Item(
                task_code=CODE,
                task_guid="g",
                catalog_code="002099001000",
                name="老年人优待证办理（首次）",
                task_type="20",
                version=1,
                state="1",
                content_hash="h",
                synced_at=NOW,
            )
        )


def test_words_added_for_an_item_reach_the_term_map(engine: Engine) -> None:
    _item(engine)
    with session_scope(engine) as session:
        assert overlay_generation(session) == 0 and overlay_entries(session) == {}
        entry = add_word_for_item(session, " 老年卡 ", CODE, actor="li", now=NOW)
        assert (entry.word, entry.term, entry.task_code) == ("老年卡", "老年人优待证办理", CODE)
        add_word_for_item(session, "老年卡", CODE, actor="wang", now=NOW)  # again: nothing new
        add_word(session, "老年卡", "老年人优待证", actor="li", now=NOW)
        add_word(session, "ＯＫ卡", "某某卡", actor="li", now=NOW)  # full-width letters normalised
    with session_scope(engine) as session:
        assert overlay_generation(session) == 3
        assert overlay_entries(session) == {
            "老年卡": ["老年人优待证办理", "老年人优待证"],
            "ok卡": ["某某卡"],
        }
        assert [e.word for e in list_entries(session, task_code=CODE)] == ["老年卡"]
        remove_word(session, entry.id, actor="li", now=NOW)
        remove_word(session, entry.id, actor="li", now=NOW)  # removed already: no new generation
        assert overlay_generation(session) == 4
        assert overlay_entries(session)["老年卡"] == ["老年人优待证"]
        assert list_entries(session, task_code=CODE) == []
        assert len(list_entries(session, task_code=CODE, include_removed=True)) == 1


def test_unfit_words_are_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        for word, reason in [("卡", "2 到 20"), ("老年卡！", "不含标点"), ("x" * 21, "2 到 20")]:
            with pytest.raises(OverlayError, match=reason):
                add_word(session, word, "老年人优待证", actor="li")
        with pytest.raises(OverlayError, match="相同"):
            add_word(session, "老年证", "老年证", actor="li")
        with pytest.raises(OverlayError, match="没有实施编码"):
            add_word_for_item(session, "老年卡", "nope", actor="li")
        with pytest.raises(OverlayError, match="没有这条"):
            remove_word(session, 999, actor="li")
        assert overlay_generation(session) == 0


def test_with_overlay_merges_into_the_curated_terms() -> None:
    curated = Lexicon(terms={"二手房": ("存量房",), "老年卡": ("老年人优待证",)})
    merged = with_overlay(
        curated, {"老年卡": ["老年人优待证", "老年人优待证办理"], "新词": ["术语"]}
    )
    assert merged.terms == {
        "二手房": ("存量房",),
        "老年卡": ("老年人优待证", "老年人优待证办理"),
        "新词": ("术语",),
    }
    assert curated.terms["老年卡"] == ("老年人优待证",)  # the curated lexicon is not changed
    assert "新词" in merged.words()
