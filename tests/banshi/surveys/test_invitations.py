"""Invitations: the audience, the outbox filled once, delivered once, refused ones given back."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from banshi.db import session_scope
from banshi.models import ItemVersion, Notice
from banshi.surveys.invitations import (
    AudienceUnavailable,
    claim_invitations,
    invite,
    release_invitations,
)
from banshi.surveys.models import SurveyInvitation
from tests.banshi.surveys.helpers import NOW, SURVEY, fill, store

CONTACT = "wechat_contact"


def followers(engine: Engine, *openids: str) -> None:
    from sqlalchemy import column, table

    contact = table(CONTACT, column("openid"), column("last_seen_at"))
    with session_scope(engine) as session:
        session.execute(insert(contact), [{"openid": o, "last_seen_at": NOW} for o in openids])


def test_everyone_is_invited_once_except_those_who_answered(engine: Engine) -> None:
    store(engine)
    followers(engine, "a", "b", "c")
    fill(engine, "c", {"q1": ("网上办",)})
    with session_scope(engine) as session:
        first = invite(session, "demand-test", NOW)
        again = invite(session, "demand-test", NOW)
    assert (first.audience, first.created, first.skipped) == (3, 2, 1)
    assert again.created == 0
    with session_scope(engine) as session:
        claimed = claim_invitations(session, NOW)
    with session_scope(engine) as session:
        assert claim_invitations(session, NOW) == []
        release_invitations(session, [claimed[0].id])
    with session_scope(engine) as session:
        retried = claim_invitations(session, NOW, openids=[claimed[0].openid])
    assert sorted(i.openid for i in claimed) == ["a", "b"]
    assert [i.id for i in retried] == [claimed[0].id]
    assert claimed[0].text == (
        "您好！我们正在开展《办事体验调查》（2027年1月31日截止），想听听您办事时遇到的不便，"
        "约需3分钟。回复“参加调查”即可开始。"
    )


def test_closed_surveys_are_not_sent(engine: Engine) -> None:
    store(engine)
    followers(engine, "a")
    with session_scope(engine) as session:
        invite(session, "demand-test", NOW)
    with session_scope(engine) as session:
        assert claim_invitations(session, datetime(2027, 2, 1, 9, 0)) == []
        pending = session.scalars(select(SurveyInvitation.delivered_at)).all()
    assert pending == [None]


def test_booked_audiences_need_the_bookings(engine: Engine) -> None:
    store(engine, SURVEY.replace("questions:", "audience: {kind: booked}\nquestions:"))
    with session_scope(engine) as session, pytest.raises(AudienceUnavailable):
        invite(session, "demand-test", NOW)

    def booked(session: Session, item: str | None) -> list[str]:
        assert item is None
        return ["x", "y"]

    with session_scope(engine) as session:
        assert invite(session, "demand-test", NOW, booked).created == 2


def test_notice_holders_of_an_item(catalog: Engine) -> None:
    with session_scope(catalog) as session:
        version = session.execute(select(ItemVersion).limit(1)).scalar_one()
        code = version.task_code
        for n, openid in enumerate(["h1", "h1", "h2", None]):
            session.add(
                Notice(
                    number=f"BS2026{n:06d}", openid=openid, task_code=code, item_version=version.version,
                    item_version_id=version.id, sync_id=version.sync_id, conditions={}, snapshot={},
                    issued_on=NOW.date(), created_at=NOW,
                )
            )  # fmt: skip
    item = SURVEY.replace(
        "questions:", f"audience: {{kind: used_item, item: '{code}'}}\nquestions:"
    )
    store(catalog, item)

    def booked(session: Session, wanted: str | None) -> list[str]:
        return ["b1"] if wanted == code else []

    with session_scope(catalog) as session:
        result = invite(session, "demand-test", NOW, booked)
        invited = sorted(session.scalars(select(SurveyInvitation.openid)))
    assert (result.created, invited) == (3, ["b1", "h1", "h2"])
