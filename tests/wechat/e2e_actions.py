"""The end-to-end assistant's actions (``banshi run --actions tests.wechat.e2e_actions``):
:mod:`app.slow_actions`, with 转人工 answered at any hour.

Service hours are 工作日 09:00-12:00、13:30-17:30, and a year the working calendar does not
know counts as closed: outside them "转人工" rightly files a 咨询 ticket instead (tested in
tests/banshi/handoff). The end-to-end tests must hold a conversation whenever they run, so
this assistant's hours never close; everything else is the real thing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import app.slow_actions  # noqa: F401  (the services, the real actions, slowed for "slow")
from actions import services
from banshi.conversation import Task
from banshi.handoff.desk import HandoffDesk
from banshi.handoff.hours import DayKinds, ServiceHours


class AnyHour(ServiceHours):
    def is_open(self, calendar: DayKinds, when: datetime) -> bool:
        return True


_desk = services.get().conversation.desks[Task.HANDOFF]
assert isinstance(_desk, HandoffDesk)
_desk.service.config = replace(_desk.service.config, hours=AnyHour())
