"""Every setting, read from the environment in one place, with embedded defaults.

With nothing set Banshi runs on a SQLite file under ``var/`` and in-process stand-ins for
Redis, and the WeChat channel uses development values the stand-in shares, so a developer can
start it from a clean clone. Nothing outside this package reads the environment: the domain
and the adapters get what they need as arguments.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Any

from banshi.bookings.config import BookingConfig
from banshi.bookings.notify import REMIND_AT
from banshi.links import Links
from banshi.privacy.crypto import dev_secret, secret_from_text
from bot.wechat.config import (
    AES_KEY_LENGTH,
    DEV_APPID,
    DEV_APPSECRET,
    DEV_TOKEN,
    WECHAT_API,
    SettingsError,
    WeChatSettings,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)

__all__ = ["PROJECT_ROOT", "Settings", "SettingsError", "load_settings", "load_wechat_settings"]


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    var_dir: Path
    jieba_dir: Path
    lexicon_path: Path
    notice_prefix: str = "BS"  # 告知单编号前缀: BS2026000123
    public_url: str = "http://127.0.0.1:5005"  # where citizens open served pages; no trailing /
    secret_key: str | None = None  # BANSHI_SECRET_KEY: personal fields, links, sessions
    retention_days: int = 180  # conversations, dedup records, pending answers, attachments
    notice_update_retention_days: int = 30  # delivered notice-change messages
    rate_limit: int = 20  # messages per citizen per window before they are slowed
    rate_window: int = 60  # seconds
    console_port: int = 5080  # the staff console, started by `banshi run` beside the assistant
    console_secure_cookies: bool = True  # False only for plain HTTP on a closed hall network
    # WeChat template messages (outside the 48-hour window): the template ids the account chose
    reply_template_id: str | None = None  # a staff reply to a ticket
    survey_invitation_template: str | None = None  # an invitation to a survey
    hot_issue_template: str | None = None  # a published resolution (政府端菜)
    booking_reminder_template: str | None = None  # the reminder the day before a booking
    booking_change_template: str | None = None  # a booking disrupted by a hall or item change
    booking_remind_at: time = REMIND_AT  # when reminders for tomorrow go out
    bookings: BookingConfig = field(default_factory=BookingConfig)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def secret(self) -> bytes:
        """The key material for encryption, blind indexes and links: BANSHI_SECRET_KEY, or a
        development key generated under var/ (with a warning: it is not for production)."""
        if self.secret_key:
            return secret_from_text(self.secret_key)
        log.warning("BANSHI_SECRET_KEY is not set: using a development key in %s", self.var_dir)
        return dev_secret(self.var_dir)

    def links(self) -> Links:
        return Links(self.public_url, self.secret())


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``env`` (default: ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    var_dir = Path(env.get("BANSHI_VAR_DIR") or PROJECT_ROOT / "var")
    database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'banshi.db'}"
    return Settings(
        database_url=database_url,
        redis_url=env.get("REDIS_URL") or None,
        var_dir=var_dir,
        jieba_dir=Path(env.get("BANSHI_JIEBA_DIR") or var_dir / "jieba"),
        lexicon_path=Path(
            env.get("BANSHI_LEXICON") or PROJECT_ROOT / "banshi" / "data" / "lexicon.yml"
        ),
        notice_prefix=env.get("BANSHI_NOTICE_PREFIX") or "BS",
        public_url=(env.get("BANSHI_PUBLIC_URL") or "http://127.0.0.1:5005").rstrip("/"),
        secret_key=env.get("BANSHI_SECRET_KEY") or None,
        retention_days=_int(env, "BANSHI_RETENTION_DAYS", 180),
        notice_update_retention_days=_int(env, "BANSHI_NOTICE_UPDATE_RETENTION_DAYS", 30),
        rate_limit=_int(env, "WECHAT_RATE_LIMIT", 20),
        rate_window=_int(env, "WECHAT_RATE_WINDOW", 60),
        console_port=_int(env, "BANSHI_CONSOLE_PORT", 5080),
        reply_template_id=env.get("WECHAT_REPLY_TEMPLATE_ID") or None,
        survey_invitation_template=env.get("WECHAT_TEMPLATE_SURVEY") or None,
        hot_issue_template=env.get("WECHAT_TEMPLATE_HOT_ISSUE") or None,
        booking_reminder_template=env.get("WECHAT_TEMPLATE_BOOKING_REMINDER") or None,
        booking_change_template=env.get("WECHAT_TEMPLATE_BOOKING_CHANGE") or None,
        booking_remind_at=_clock(env, "BANSHI_BOOKING_REMIND_AT", REMIND_AT),
        bookings=_bookings(env),
        console_secure_cookies=env.get("BANSHI_CONSOLE_INSECURE_COOKIES", "") not in ("1", "true"),
    )


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    value = (env.get(name) or "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {value!r}.") from None
    if number < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {number}.")
    return number


def _clock(env: Mapping[str, str], name: str, default: time) -> time:
    value = (env.get(name) or "").strip()
    if not value:
        return default
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise SettingsError(f"{name} must be a time of day like 18:00, got {value!r}.") from None


# BANSHI_BOOKING_* → BookingConfig field, and the least value that makes sense
_BOOKING_INTS = {
    "DAILY_QUOTA": ("daily_quota", 1),
    "SLOT_MINUTES": ("slot_minutes", 0),  # 0: 上午 / 下午 halves
    "LEAD_DAYS": ("lead_days", 0),
    "HORIZON_WORKING_DAYS": ("horizon_working_days", 1),
    "CANCEL_BEFORE_MINUTES": ("cancel_before_minutes", 0),
    "LATE_MINUTES": ("late_minutes", 0),
    "MAX_RESCHEDULES": ("max_reschedules", 0),
    "NO_SHOW_LIMIT": ("no_show_limit", 1),
    "NO_SHOW_WINDOW_DAYS": ("no_show_window_days", 1),
    "NO_SHOW_BAN_DAYS": ("no_show_ban_days", 0),
}


def _bookings(env: Mapping[str, str]) -> BookingConfig:
    """The booking defaults (``BANSHI_BOOKING_*``); each item's own rule and staff overrides
    still win over these (``banshi.bookings.policy``)."""
    base = BookingConfig()
    values: dict[str, Any] = {}
    for suffix, (name, minimum) in _BOOKING_INTS.items():
        values[name] = _int(env, f"BANSHI_BOOKING_{suffix}", getattr(base, name), minimum)
    prefix = (env.get("BANSHI_BOOKING_PREFIX") or "").strip()
    if prefix:
        values["number_prefix"] = prefix
    return replace(base, **values)


def _aes_key(env: Mapping[str, str], name: str) -> str | None:
    value = (env.get(name) or "").strip()
    if not value:
        return None
    if len(value) != AES_KEY_LENGTH or not value.isalnum():
        raise SettingsError(
            f"{name} must be the 43-character EncodingAESKey from the 公众号 console "
            f"(letters and digits), got {len(value)} characters."
        )
    return value


def load_wechat_settings(env: Mapping[str, str] | None = None) -> WeChatSettings:
    """The WeChat channel's settings (``WECHAT_*``) from ``env`` (default: ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    base = load_settings(env)
    api_base_url = env.get("WECHAT_API_BASE_URL") or WECHAT_API
    if not api_base_url.endswith("/"):
        api_base_url += "/"
    token_endpoint = env.get("WECHAT_TOKEN_ENDPOINT") or "stable_token"
    if token_endpoint not in ("stable_token", "token"):
        raise SettingsError("WECHAT_TOKEN_ENDPOINT must be 'stable_token' or 'token'.")
    return WeChatSettings(
        token=env.get("WECHAT_TOKEN") or DEV_TOKEN,
        appid=env.get("WECHAT_APPID") or DEV_APPID,
        appsecret=env.get("WECHAT_APPSECRET") or DEV_APPSECRET,
        aes_key=_aes_key(env, "WECHAT_AES_KEY"),
        aes_key_previous=_aes_key(env, "WECHAT_AES_KEY_PREVIOUS"),
        api_base_url=api_base_url,
        redis_url=base.redis_url,
        database_url=base.database_url,
        passive_budget=float(env.get("WECHAT_PASSIVE_BUDGET") or 4.5),
        replay_window=int(env.get("WECHAT_REPLAY_WINDOW") or 300),
        max_body_bytes=int(env.get("WECHAT_MAX_BODY_BYTES") or 64 * 1024),
        token_endpoint=token_endpoint,
        rate_limit=base.rate_limit,
        rate_window=float(base.rate_window),
    )
