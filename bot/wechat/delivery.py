"""Delivering an answer through the customer-service API (客服消息), losing nothing.

An answer WeChat will not take now (45015: outside the 48-hour window or no longer
following; 45047: over the quota of messages per window) is kept in the database and goes
out with the citizen's next message. Network failures that outlast the API client's bounded
retries are kept the same way. 43004 (not following) is dropped: the citizen has left, and
their data with them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from banshi.text import WECHAT_TEXT_LIMIT, split_message
from bot.wechat.api import WeChatAPI, WeChatAPIError
from bot.wechat.storage import CitizenStore
from bot.wechat.texts import PENDING_PREFIX

log = logging.getLogger(__name__)

KEEP_FOR_LATER = (45015, 45047)
NOT_FOLLOWING = (43004,)
SEPARATOR = "\n\n"


def compose(pending: list[str], messages: list[str], limit: int = WECHAT_TEXT_LIMIT) -> list[str]:
    """The texts to send, in order, each at most ``limit`` UTF-8 bytes.

    Earlier undelivered answers come first (said to be earlier ones); short messages of one
    turn are joined into as few texts as fit, because every 客服消息 counts against a quota
    of a few per window and only the first text can go in the passive reply.
    """
    # A kept part may already carry the prefix (it was composed once before): say it once.
    earlier = [p.removeprefix(PENDING_PREFIX) for p in pending]
    texts = [PENDING_PREFIX + p if i == 0 else p for i, p in enumerate(earlier)]
    texts += [m for m in messages if m and m.strip()]
    parts: list[str] = []
    for text in texts:
        pieces = split_message(text.strip(), limit)
        for piece in pieces:
            if parts and len((parts[-1] + SEPARATOR + piece).encode("utf-8")) <= limit:
                parts[-1] = parts[-1] + SEPARATOR + piece
            else:
                parts.append(piece)
    return [p for p in parts if p.strip()]


@dataclass
class Outcome:
    sent: int = 0
    kept: int = 0
    dropped: int = 0
    errcode: int | None = None


class Delivery:
    def __init__(self, api: WeChatAPI, store: CitizenStore) -> None:
        self.api = api
        self.store = store

    async def send(self, openid: str, parts: list[str]) -> Outcome:
        """Send ``parts`` in order; what cannot go now is kept for the next message."""
        outcome = Outcome()
        for i, part in enumerate(parts):
            try:
                await self.api.send_text(openid, part)
                outcome.sent += 1
                continue
            except WeChatAPIError as exc:
                outcome.errcode = exc.errcode
                if exc.errcode in NOT_FOLLOWING:
                    log.info("%s no longer follows the account: answer dropped", openid)
                    outcome.dropped = len(parts) - i
                    return outcome
                if exc.errcode not in KEEP_FOR_LATER:
                    log.warning("客服消息 to %s failed (%s): kept for later", openid, exc)
            rest = parts[i:]
            await self.store.keep_answers(openid, rest, outcome.errcode)
            outcome.kept = len(rest)
            return outcome
        return outcome
