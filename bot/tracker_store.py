"""Rasa tracker stores that never keep a personal number in clear, and forget conversations.

A citizen types an ID number or a phone into the chat; Rasa would keep it in the tracker
(the text, the parse data, entities, slots, the bot's echo) for as long as the store lives.
These stores mask a copy of the tracker with :func:`banshi.privacy.masking.mask_data`
before it is written, so the store, the event broker and anything replayed from them only
ever see ``110***********123X`` and ``138****8000``. The tracker in memory for the running
turn is untouched: a form's ``validate_<slot>`` still receives what the citizen typed, and
must put into the slot what may be stored — :meth:`FieldCipher.encrypt`'s token (kept as
is here) or a masked value, never the raw number.

Redis keys get the retention period as TTL (refreshed on every save), so a conversation
disappears ``retention_days`` after the citizen's last message.

The Redis store does Rasa's work on the serialised events, not on trackers: Rasa's save
masks a copy (serialise, mask, rebuild a tracker by replaying every event), reads the
stored tracker back and replays it, replays the new one a third time to compare, then
serialises the result; its retrieve replays the whole conversation, then again per session.
Here a save serialises the tracker once, masks the events, merges them with the stored ones
by Rasa's own rule (:func:`merge_events`) and writes; a retrieve replays only the session it
returns. What reaches Redis is still only the masked events.

endpoints.yml (``url`` may be a full ``redis://`` URL, e.g. ``${REDIS_URL}``)::

    tracker_store:
      type: bot.tracker_store.MaskingRedisTrackerStore
      url: ${REDIS_URL}
      key_prefix: banshi
      retention_days: 180
"""

from __future__ import annotations

import json
import urllib.parse
from itertools import takewhile
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, SQLTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from banshi.privacy.crypto import is_cipher_token
from banshi.privacy.masking import mask_data
from banshi.privacy.retention import RetentionPolicy

# Keys whose values are names or identifiers, never something a citizen typed.
SKIP_KEYS = frozenset(
    {
        "event",
        "timestamp",
        "message_id",
        "input_channel",
        "intent",
        "intent_ranking",
        "response_selector",
        "policy",
        "confidence",
        "name",
        "entity",
        "extractor",
        "processors",
        "role",
        "group",
    }
)


def mask_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Serialised events with every text, entity value, metadata string and slot value masked."""
    return [mask_data(event, SKIP_KEYS, keep=is_cipher_token) for event in events]


def masked_dialogue(tracker: DialogueStateTracker) -> dict[str, Any]:
    """The tracker serialised as Rasa stores it, every event masked (``tracker`` untouched)."""
    dialogue: dict[str, Any] = tracker.as_dialogue().as_dict()
    dialogue["events"] = mask_events(dialogue["events"])
    return dialogue


def masked_copy(store: Any, tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A new tracker with the same events, masked; ``tracker`` itself is not changed."""
    dialogue = masked_dialogue(tracker)
    copy: DialogueStateTracker = store.init_tracker(tracker.sender_id)
    copy.recreate_from_dialogue(Dialogue.from_parameters(json.loads(json.dumps(dialogue))))
    return copy


def _as_stored(event: dict[str, Any]) -> str:
    """An event as JSON would give it back (tuples become lists …), comparable as text."""
    return json.dumps(event, sort_keys=True, ensure_ascii=False)


def merge_events(stored: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rasa's ``RedisTrackerStore._merge_trackers`` on serialised events.

    When the stored events are exactly the new ones up to the last stored timestamp (the
    usual case: the tracker was read at the start of the turn), the new events are the
    conversation. Otherwise (the tracker in memory holds only the last session, or another
    process wrote meanwhile) the stored events are kept and each new event not among them
    is appended, compared as JSON as Rasa compares ``Event.as_dict()``.
    """
    if not stored:
        return new
    last = stored[-1].get("timestamp", 0.0)
    head = list(takewhile(lambda e: e.get("timestamp", 0.0) <= last, new))
    if head == stored:
        return new
    known = [_as_stored(e) for e in stored]
    if [_as_stored(e) for e in head] == known:
        return new
    merged = list(stored)
    seen = set(known)
    for event in new:
        text = _as_stored(event)
        if text not in seen:
            seen.add(text)
            merged.append(event)
    return merged


def _is_session_start(event: dict[str, Any]) -> bool:
    return event.get("event") == "action" and event.get("name") == ACTION_SESSION_START_NAME


def last_session(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of the latest conversation session, as Rasa's ``retrieve`` splits them
    (``get_trackers_for_conversation_sessions``: a new session at each
    ``action_session_start``; a single session is the whole conversation)."""
    starts = [i for i, event in enumerate(events) if _is_session_start(event)]
    sessions = len(starts) + (1 if events and (not starts or starts[0] > 0) else 0)
    if sessions <= 1:
        return events
    return events[starts[-1] :]


def redis_params(url: str) -> dict[str, Any]:
    """host/port/db/username/password/use_ssl for RedisTrackerStore from a ``redis://`` URL."""
    parts = urllib.parse.urlparse(url)
    params: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": int((parts.path or "/0").lstrip("/") or 0),
    }
    if parts.username:
        params["username"] = urllib.parse.unquote(parts.username)
    if parts.password:
        params["password"] = urllib.parse.unquote(parts.password)
    if parts.scheme == "rediss":
        params["use_ssl"] = True
    return params


class MaskingRedisTrackerStore(RedisTrackerStore):
    """RedisTrackerStore that masks before saving and expires keys after ``retention_days``."""

    def __init__(
        self,
        domain: Domain,
        host: str | None = "localhost",
        record_exp: float | None = None,
        retention_days: int = RetentionPolicy.conversation_days,
        **kwargs: Any,
    ) -> None:
        host = host or "localhost"  # Rasa passes ``url`` as host, None when it is not set
        if host.startswith(("redis://", "rediss://")):
            # A URL given as host wins over separate port/db/password entries.
            kwargs = {**kwargs, **redis_params(host)}
            host = kwargs.pop("host")
        if record_exp is None:
            record_exp = RetentionPolicy(conversation_days=retention_days).conversation_seconds
        # Redis rejects a float EX ("value is not an integer").
        super().__init__(domain=domain, host=host, record_exp=int(record_exp), **kwargs)

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Mask first, so the merge with the stored tracker compares masked with masked."""
        ttl = int(timeout) if timeout else None
        if self.event_broker is not None:  # the broker is given tracker objects: Rasa's way
            await super().save(masked_copy(self, tracker), ttl)
            return
        key = self.key_prefix + tracker.sender_id
        dialogue = masked_dialogue(tracker)
        stored = self.red.get(key)
        if stored is not None:
            dialogue["events"] = merge_events(json.loads(stored)["events"], dialogue["events"])
        if self.max_event_history is not None:  # as a tracker holding them would keep them
            dialogue["events"] = dialogue["events"][-self.max_event_history :]
        self.red.set(key, json.dumps(dialogue), ex=ttl or self.record_exp)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest conversation session, replayed once."""
        stored = self.red.get(self.key_prefix + sender_id)
        if stored is None:
            return None
        dialogue = json.loads(stored)
        dialogue["events"] = last_session(dialogue["events"])
        tracker: DialogueStateTracker = self.init_tracker(sender_id)
        tracker.recreate_from_dialogue(Dialogue.from_parameters(dialogue))
        return tracker


class MaskingInMemoryTrackerStore(InMemoryTrackerStore):
    """InMemoryTrackerStore that masks before saving (development and tests; no expiry)."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(masked_copy(self, tracker))


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that masks before saving. It has no expiry: nothing deletes old events
    (prefer the Redis store in production)."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(masked_copy(self, tracker))
