"""The WeChat channel's configuration: what a 公众号's server settings are made of.

The values come from the environment through :mod:`app.settings` (``WECHAT_*``). With nothing
set the channel runs with a development token and app id that the stand-in
(``python -m wechat_standin``) also uses by default, so the whole loop works from a clean
clone. A real 公众号 needs at least ``WECHAT_TOKEN``, ``WECHAT_APPID`` and
``WECHAT_APPSECRET``; ``WECHAT_AES_KEY`` switches on compatible/safe mode.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    # A citizen sending more than this many messages in the window is told once, then slowed.
    rate_limit: int = 20
    rate_window: float = 60.0

    @property
    def is_development(self) -> bool:
        """True while the well-known development token is in use: never expose that."""
        return self.token == DEV_TOKEN

    @property
    def aes_keys(self) -> list[str]:
        """The current key first, then the previous one (kept during a key rotation)."""
        return [k for k in (self.aes_key, self.aes_key_previous) if k]
