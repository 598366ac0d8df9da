"""The audit log: entries in the action's transaction, filters, labels."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from banshi.db import session_scope
from banshi.staff.audit import AuditAction, AuditRecord, entries, record
from tests.banshi.staff.conftest import NOW


def test_entries_are_kept_with_their_transaction_and_filtered(engine: Engine) -> None:
    with session_scope(engine) as session:
        record(
            session,
            "li",
            AuditAction.REVEAL,
            "conversation:oX",
            summary="看了",
            detail={"turns": 2},
            at=NOW,
        )
        record(session, "li", AuditAction.CHECK_IN, "booking:7", at=NOW)
        record(session, "wang", AuditAction.PUBLISH, "rating:3", at=NOW)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        record(session, "li", AuditAction.DISPATCH, "ticket:1")
        raise RuntimeError("the action failed")  # its entry goes with it
    with session_scope(engine) as session:
        mine = entries(session, actor="li")
        assert [e.action for e in mine] == ["check_in", "reveal"]
        assert mine[1].detail == {"turns": 2} and mine[1].label == "查看完整个人信息"
        assert [e.actor for e in entries(session, action=AuditAction.PUBLISH)] == ["wang"]
        assert entries(session, target="ticket:1") == []
    later = AuditRecord(NOW, "x", "some_future_action", "", "", "", {})
    assert later.label == "some_future_action"  # an action of a later feature shows its code
