"""What the domain asks of the channel around each turn, injected by the composition root.

The channel knows WeChat, not the features; each hook is a plain function run off the event
loop (``asyncio.to_thread``):

- ``held(openid, text, now)``: while a person holds the conversation (转人工), the message is
  theirs: return what to send instead of running the dialogue (often nothing), or None;
- ``owed(openid)``: messages owed to the citizen that no push delivered (notice changes,
  staff replies, published results), sent before the answer to their next message; taken
  with a claim, so each is told once;
- ``forget(openid)``: on unsubscribe, erase the citizen's personal data in every feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


def _not_held(openid: str, text: str, now: datetime) -> list[str] | None:
    return None


def _nothing_owed(openid: str) -> list[str]:
    return []


def _nothing_to_forget(openid: str) -> None:
    return None


@dataclass(frozen=True)
class ChannelHooks:
    held: Callable[[str, str, datetime], list[str] | None] = field(default=_not_held)
    owed: Callable[[str], list[str]] = field(default=_nothing_owed)
    forget: Callable[[str], None] = field(default=_nothing_to_forget)
