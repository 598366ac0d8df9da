"""转人工 as the conversation sees it: a task without questions.

The desk asks :class:`~banshi.handoff.service.HandoffService` for a person and says what it
answers; from then on the channel keeps the bot silent while the handoff is held
(``is_held`` / ``record`` before the dialogue), until staff close it.
"""

from __future__ import annotations

from banshi.conversation import Message, Outcome, Request, Task, TaskReply, TaskState
from banshi.handoff.service import HandoffService


class HandoffDesk:
    task = Task.HANDOFF
    requests = frozenset({Request.HUMAN})

    def __init__(self, service: HandoffService) -> None:
        self.service = service

    def start(self, message: Message, request: Request, resume: TaskState | None) -> TaskReply:
        messages, _held = self.service.request(message.openid, message.now)
        return TaskReply(messages, None, Outcome.DONE)

    def answer(self, message: Message, state: TaskState) -> TaskReply:
        return TaskReply([], None, Outcome.NOT_MINE)  # never holds a state

    def repeat(self, state: TaskState) -> list[str]:
        return []

    def leave(self, state: TaskState) -> list[str]:
        return []
