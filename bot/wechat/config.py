"""The WeChat settings (``WECHAT_*``), read from the environment with development defaults.

With nothing set the channel runs with a development token and app id that the stand-in
(``python -m wechat_standin``) also uses by default, so the whole loop works from a clean
clone. A real 公众号 needs at least ``WECHAT_TOKEN``, ``WECHAT_APPID`` and
``WECHAT_APPSECRET``; ``WECHAT_AES_KEY`` switches on compatible/safe mode.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from banshi.settings import load_settings

WECHAT_API = "https://api.weixin.qq.com/cgi-bin/"

# Development defaults, shared with the stand-in: never valid on WeChat's servers.
DEV_TOKEN = "banshi-dev-token"
DEV_APPID = "wx00000000banshidev"
DEV_APPSECRET = "banshi-dev-secret"

AES_KEY_LENGTH = 43  # EncodingAESKey: 43 characters, base64 of a 32-byte key without '='


class SettingsError(ValueError):
    """A WECHAT_* setting is malformed; the message names it and says what it should be."""


@dataclass(frozen=True)
class WeChatSettings:
    token: str
    appid: str
    appsecret: str
    aes_key: str | None
    aes_key_previous: str | None
    api_base_url: str
    redis_url: str | None
    database_url: str
    # WeChat gives up after 5 s; answer within this budget or switch to 客服消息.
    passive_budget: float = 4.5
    # Pushes whose timestamp is further than this from our clock are refused (seconds).
    replay_window: int = 300
    max_body_bytes: int = 64 * 1024
    # "stable_token" (recommended: does not invalidate other holders) or "token".
    token_endpoint: str = "stable_token"
    api_timeout: float = 5.0
    api_attempts: int = 3

    @property
    def is_development(self) -> bool:
        """True while the well-known development token is in use: never expose that."""
        return self.token == DEV_TOKEN

    @property
    def aes_keys(self) -> list[str]:
        """The current key first, then the previous one (kept during a key rotation)."""
        return [k for k in (self.aes_key, self.aes_key_previous) if k]


def _aes_key(env: dict[str, str], name: str) -> str | None:
    value = (env.get(name) or "").strip()
    if not value:
        return None
    if len(value) != AES_KEY_LENGTH or not value.isalnum():
        raise SettingsError(
            f"{name} must be the 43-character EncodingAESKey from the 公众号 console "
            f"(letters and digits), got {len(value)} characters."
        )
    return value


def load_wechat_settings(env: dict[str, str] | None = None) -> WeChatSettings:
    """Build the WeChat settings from ``env`` (default: ``os.environ``)."""
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
    )
