"""A citizen's recent conversation with the assistant, for the context of a ticket or a
handoff. Shown masked; the full text is an explicit action, recorded in the audit log."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response

from banshi.privacy.masking import mask_text
from banshi.staff.roles import Role, roles
from console import texts
from console.pagekit import field, record_reveal, render, services_of, transaction
from console.rendering import mask_openid
from console.services import ConsolePage, ConversationTurn, PageRoute

log = logging.getLogger(__name__)

READERS = roles(Role.WINDOW, Role.DISPATCHER)
SPEAKERS = {"user": "市民", "bot": "助手", "staff": "工作人员"}
MAX_OPENID = 64


def _turns(turns: Sequence[ConversationTurn], revealed: bool) -> list[tuple[str, str, str, str]]:
    """(when, speaker, css class, text): the citizen's words masked unless revealed."""
    out = []
    for at, who, text in turns:
        shown = text if revealed else mask_text(text)
        out.append(
            (
                f"{at:%m-%d %H:%M}",
                SPEAKERS.get(who, who),
                who if who in SPEAKERS else "other",
                shown,
            )
        )
    return out


def _show(request: Request, openid: str, revealed: bool) -> Response:
    services = services_of(request)
    reader = services.conversation_reader
    context = {"openid": openid, "shown_id": mask_openid(openid), "turns": [], "revealed": revealed}
    if reader is None:
        return render(
            request,
            "conversation.html",
            {**context, "error": texts.CONVERSATIONS_NOT_AVAILABLE},
            503,
        )
    if not openid:
        return render(request, "conversation.html", context)
    try:
        turns = list(reader(openid))
    except Exception as exc:  # the tracker store is another system: say so, keep the page
        log.warning("conversation reader failed: %s", type(exc).__name__)
        return render(request, "conversation.html", {**context, "error": texts.SERVER_ERROR}, 502)
    if revealed and turns:
        with transaction(request) as session:
            record_reveal(
                session,
                request,
                f"conversation:{openid}",
                f"会话内容（市民 {mask_openid(openid)}）",
            )
    context["turns"] = _turns(turns, revealed)
    if not turns:
        context["error"] = texts.CONVERSATION_EMPTY
    return render(request, "conversation.html", context)


def conversation_page(request: Request) -> Response:
    return _show(request, request.query_params.get("openid", "").strip()[:MAX_OPENID], False)


def reveal(request: Request) -> Response:
    return _show(request, field(request, "openid")[:MAX_OPENID], True)


def page() -> ConsolePage:
    return ConsolePage(
        key="conversations",
        title="会话记录",
        path="/conversations",
        roles=READERS,
        order=40,
        routes=(
            PageRoute("/conversations", conversation_page, name="conversations"),
            PageRoute("/conversations/reveal", reveal, methods=("POST",)),
        ),
    )
