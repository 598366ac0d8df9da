"""What the domain asks of the channel around each turn, injected by the composition root.

The channel knows WeChat, not the features; each hook is a plain function run off the event
loop (``asyncio.to_thread``):

- ``due(openid, now)``: before the dialogue, in one cheap statement
  (:func:`banshi.owed.check`): whether a person holds the conversation, and which sources
  owe the citizen something — usually neither, and then nothing else touches the database;
- ``held(openid, text, now)``: only when ``due`` said held (转人工): the message is the
  person's: return what to send instead of running the dialogue (often nothing), or None
  when the conversation was handed back meanwhile;
- ``owed(openid, due, now)``: only when ``due`` found something: messages owed to the
  citizen that no push delivered (notice changes, staff replies, published results …), sent
  before the answer; taken after the dialogue with a claim, so each is told once and a
  failed turn loses none (``now``: the turn's, as ``due`` saw it);
- ``forget(openid)``: on unsubscribe, erase the citizen's personal data in every feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from banshi.owed import NOTHING, Due


def _nothing_due(openid: str, now: datetime) -> Due:
    return NOTHING


def _not_held(openid: str, text: str, now: datetime) -> list[str] | None:
    return None


def _nothing_owed(openid: str, due: Due, now: datetime) -> list[str]:
    return []


def _nothing_to_forget(openid: str) -> None:
    return None


@dataclass(frozen=True)
class ChannelHooks:
    due: Callable[[str, datetime], Due] = field(default=_nothing_due)
    held: Callable[[str, str, datetime], list[str] | None] = field(default=_not_held)
    owed: Callable[[str, Due, datetime], list[str]] = field(default=_nothing_owed)
    forget: Callable[[str], None] = field(default=_nothing_to_forget)
