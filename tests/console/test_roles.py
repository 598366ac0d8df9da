"""Who may open what: every page and action for every role (403 outside the role)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from console import texts
from tests.console.conftest import CHANGED_ITEM, CITIZEN, STAFF, Site, refused, signed_in

A, W, D, R = "admin", "window", "dispatcher", "reviewer"


def pages(site: Site) -> dict[str, set[str]]:
    """Each page, and the roles that may open it."""
    return {
        "/": {A, W, D, R},
        "/catalog?q=身份证": {A, W, D, R},
        f"/catalog/items/{CHANGED_ITEM}": {A, W, D, R},
        "/catalog/syncs": {A, W, D, R},
        "/catalog/syncs/1": {A, W, D, R},
        f"/notices?number={site.notice_steady}": {A, W, D},
        "/unanswered": {A, D, R},
        "/unanswered/export.csv": {A, D, R},
        "/lexicon": {A, R},
        f"/conversations?openid={CITIZEN}": {A, W, D},
        "/staff": {A},
        "/staff/audit": {A},
    }


# Actions, the roles that may take them, and a form that is harmless to send.
ACTIONS = {
    "/catalog/syncs": ({A}, {"url": "ftp://nothing"}),
    "/lexicon/words": ({A, R}, {"word": "", "task_code": ""}),
    "/unanswered/handled": ({A, D, R}, {"ids": ""}),
    "/conversations/reveal": ({A, W, D}, {"openid": "nobody"}),
    "/staff": ({A}, {"username": "", "role": "window"}),
    "/staff/nobody/disable": ({A}, {}),
}


@pytest.mark.parametrize("role", list(STAFF))
def test_each_role_opens_its_pages_and_is_refused_the_others(
    role: str, make_client: Any, site: Site
) -> None:
    client = make_client()
    token = signed_in(client, STAFF[role])
    for path, allowed in pages(site).items():
        response = client.get(path)
        if role in allowed:
            assert response.status_code == 200, (role, path, refused(response.text))
        else:
            assert response.status_code == 403, (role, path)
            assert refused(response.text) == texts.FORBIDDEN
    for path, (allowed, form) in ACTIONS.items():
        response = client.post(path, data={**form, "csrf_token": token})
        if role in allowed:
            assert response.status_code != 403, (role, path)
        else:
            assert response.status_code == 403, (role, path)
            assert refused(response.text) == texts.FORBIDDEN


@pytest.mark.parametrize(
    ("role", "entries"),
    [
        (A, ["概览", "事项目录", "告知单", "未解决提问", "口语词", "会话记录", "账号与审计"]),
        (W, ["概览", "事项目录", "告知单", "会话记录"]),
        (D, ["概览", "事项目录", "告知单", "未解决提问", "会话记录"]),
        (R, ["概览", "事项目录", "未解决提问", "口语词"]),
    ],
)
def test_the_navigation_lists_only_what_the_role_may_open(
    role: str, entries: list[str], make_client: Any
) -> None:
    client = make_client()
    signed_in(client, STAFF[role])
    nav = re.search(r'<nav class="main".*?</nav>', client.get("/").text, re.S)
    assert nav is not None
    assert re.findall(r'<a href="[^"]+"[^>]*>([^<]+)</a>', nav.group(0)) == entries
    assert re.findall(r'class="active"[^>]*>([^<]+)<', nav.group(0)) == ["概览"]
    inner = re.search(r'<nav class="main".*?</nav>', client.get("/catalog/syncs").text, re.S)
    assert inner is not None
    assert re.findall(r'class="active"[^>]*>([^<]+)<', inner.group(0)) == ["事项目录"]


def test_strangers_are_sent_to_the_login_page(make_client: Any, site: Site) -> None:
    client = make_client()
    for path in pages(site):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")
    assert client.get("/login").status_code == 200
