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
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, SQLTrackerStore
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


def masked_copy(store: Any, tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A new tracker with the same events, masked; ``tracker`` itself is not changed."""
    dialogue = tracker.as_dialogue().as_dict()
    dialogue["events"] = mask_events(dialogue["events"])
    copy: DialogueStateTracker = store.init_tracker(tracker.sender_id)
    copy.recreate_from_dialogue(Dialogue.from_parameters(json.loads(json.dumps(dialogue))))
    return copy


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
        await super().save(masked_copy(self, tracker), ttl)


class MaskingInMemoryTrackerStore(InMemoryTrackerStore):
    """InMemoryTrackerStore that masks before saving (development and tests; no expiry)."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(masked_copy(self, tracker))


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that masks before saving. It has no expiry: nothing deletes old events
    (prefer the Redis store in production)."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(masked_copy(self, tracker))
