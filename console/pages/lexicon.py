"""Colloquial words staff add for an item (the lexicon overlay): list, add, stop using.

The resolver picks the words up without a restart (:mod:`banshi.lexicon_overlay`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from banshi.lexicon_overlay import (
    MAX_WORD_CHARS,
    OverlayError,
    add_word_for_item,
    list_entries,
    remove_word,
)
from banshi.staff.audit import AuditAction
from banshi.staff.roles import Role, roles
from console.pagekit import (
    audit,
    field,
    redirect,
    refuse,
    render,
    services_of,
    staff_of,
    transaction,
)
from console.services import ConsolePage, PageRoute

EDITORS = roles(Role.REVIEWER)  # publishing what the assistant understands is a reviewer's job
MAX_SUGGESTED = MAX_WORD_CHARS


def _back(request: Request) -> str:
    """Where to return after adding a word: a local page only."""
    back = field(request, "back")
    return back if back.startswith("/") and not back.startswith("//") else "/lexicon"


def lexicon_page(request: Request, error: str = "", status: int = 200) -> Response:
    with transaction(request) as session:
        entries = list_entries(session)
        return render(
            request,
            "lexicon.html",
            {
                "entries": entries,
                "error": error,
                "word": field(request, "word"),
                "task_code": field(request, "task_code"),
            },
            status,
        )


def add(request: Request) -> Response:
    word, code = field(request, "word"), field(request, "task_code")
    try:
        with transaction(request) as session:
            entry = add_word_for_item(
                session,
                word,
                code,
                actor=staff_of(request).username,
                now=services_of(request).now(),
            )
            audit(
                session,
                request,
                AuditAction.LEXICON_WORD_ADDED,
                f"item:{entry.task_code}",
                summary=f"为“{entry.term}”添加口语词“{entry.word}”",
                detail={"word": entry.word, "term": entry.term},
            )
    except OverlayError as exc:
        return lexicon_page(request, str(exc), 400)
    return redirect(_back(request), "word")


def remove(request: Request) -> Response:
    try:
        entry_id = int(request.path_params["entry_id"])
    except ValueError:
        return refuse(request, 404, "没有这条口语词。")
    try:
        with transaction(request) as session:
            entry = remove_word(
                session, entry_id, actor=staff_of(request).username, now=services_of(request).now()
            )
            audit(
                session,
                request,
                AuditAction.LEXICON_WORD_REMOVED,
                f"item:{entry.task_code or ''}",
                summary=f"停用口语词“{entry.word}”（{entry.term}）",
                detail={"word": entry.word, "term": entry.term},
            )
    except OverlayError as exc:
        return lexicon_page(request, str(exc), 404)
    return redirect(_back(request), "word_removed")


def page() -> ConsolePage:
    return ConsolePage(
        key="lexicon",
        title="口语词",
        path="/lexicon",
        roles=EDITORS,
        order=35,
        routes=(
            PageRoute("/lexicon", lexicon_page, name="lexicon"),
            PageRoute("/lexicon/words", add, methods=("POST",)),
            PageRoute("/lexicon/words/{entry_id}/remove", remove, methods=("POST",)),
        ),
    )
