"""Rasa's Redis lock store with each step one atomic script.

Rasa holds a ticket lock per conversation around every message. Its ``RedisLockStore`` does
each step as a read, a change in Python and a write: issuing a ticket is GET + SET, checking
it GET, finishing GET + SET + GET + DEL — seven synchronous round trips a message, on the
server's event loop, and two writers can overwrite each other's tickets (Rasa #9213; the
WeChat channel orders a citizen's messages itself, :mod:`bot.wechat.serial`). Here issuing
and checking are one script and finishing another, on the same key and in the same JSON as
Rasa's (:class:`rasa.core.lock.TicketLock`), so Rasa's own methods still read it.

endpoints.yml (``banshi run`` writes it)::

    lock_store:
      type: bot.lock_store.ScriptedRedisLockStore
      url: localhost
      port: 6379
      db: 0
      key_prefix: banshi
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# Rasa's tickets, kept in its format: {"conversation_id": …, "tickets": ["{\"number\": n,
# \"expires\": t}", …]}. A ticket has expired when ``now > expires`` (Ticket.has_expired).
_LIVE_TICKETS = """
local function live(raw, now)
  local tickets = {}
  if raw then
    for _, text in ipairs(cjson.decode(raw)['tickets'] or {}) do
      local ticket = cjson.decode(text)
      if tonumber(ticket['expires']) >= now then table.insert(tickets, ticket) end
    end
  end
  return tickets
end
local function store(key, conversation, tickets)
  if #tickets == 0 then
    redis.call('DEL', key)
    return
  end
  local texts = {}
  for i, ticket in ipairs(tickets) do texts[i] = cjson.encode(ticket) end
  redis.call('SET', key, cjson.encode({conversation_id = conversation, tickets = texts}))
end
"""

# KEYS: the lock; ARGV: conversation id, now, lifetime. Issues the next ticket (0 for the
# first, as Rasa numbers them) and returns {ticket, the ticket now served}.
_ISSUE = (
    _LIVE_TICKETS
    + """
local now = tonumber(ARGV[2])
local tickets = live(redis.call('GET', KEYS[1]), now)
local number = 0
if #tickets > 0 then number = tickets[#tickets]['number'] + 1 end
table.insert(tickets, {number = number, expires = now + tonumber(ARGV[3])})
store(KEYS[1], ARGV[1], tickets)
return {number, tickets[1]['number']}
"""
)

# KEYS: the lock; ARGV: conversation id, now. Drops expired tickets; returns the ticket now
# served, -1 when none is left.
_SERVING = (
    _LIVE_TICKETS
    + """
local tickets = live(redis.call('GET', KEYS[1]), tonumber(ARGV[2]))
store(KEYS[1], ARGV[1], tickets)
if #tickets == 0 then return -1 end
return tickets[1]['number']
"""
)

# KEYS: the lock; ARGV: conversation id, now, ticket. Removes the ticket (and expired ones);
# deletes the lock when nobody waits any more (Rasa's ``cleanup``).
_FINISH = (
    _LIVE_TICKETS
    + """
local tickets = live(redis.call('GET', KEYS[1]), tonumber(ARGV[2]))
local kept = {}
for _, ticket in ipairs(tickets) do
  if ticket['number'] ~= tonumber(ARGV[3]) then table.insert(kept, ticket) end
end
store(KEYS[1], ARGV[1], kept)
return #kept
"""
)


class ScriptedRedisLockStore(RedisLockStore):
    """:class:`RedisLockStore` whose steps are atomic: two round trips a message."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # Rasa builds a custom store from its endpoint entry
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        kwargs.pop("type", None)
        super().__init__(**kwargs)
        self._issue = self.red.register_script(_ISSUE)
        self._serving = self.red.register_script(_SERVING)
        self._finish = self.red.register_script(_FINISH)

    def _key(self, conversation_id: str) -> str:
        return self.key_prefix + conversation_id

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self._issue_and_serving(conversation_id, lock_lifetime)[0]

    def _issue_and_serving(self, conversation_id: str, lock_lifetime: float) -> tuple[int, int]:
        number, serving = self._issue(
            keys=[self._key(conversation_id)], args=[conversation_id, time.time(), lock_lifetime]
        )
        return int(number), int(serving)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Rasa's ``lock``: served at once when nobody is ahead (the usual case: no read
        after the ticket), else waiting in Rasa's way, each check one script."""
        ticket, serving = self._issue_and_serving(conversation_id, lock_lifetime)
        try:
            if serving == ticket:
                yield TicketLock(conversation_id)
            else:
                yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            self.cleanup(conversation_id, ticket)

    def update_lock(self, conversation_id: str) -> None:
        """Expired tickets removed in one step (Rasa reads, changes and writes the lock)."""
        self._serving(keys=[self._key(conversation_id)], args=[conversation_id, time.time()])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """The ticket served, and the lock deleted when nobody waits, in one step."""
        self._finish(
            keys=[self._key(conversation_id)], args=[conversation_id, time.time(), ticket_number]
        )
