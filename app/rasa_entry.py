"""The Rasa input channels as ``banshi run`` names them in its credentials file.

Rasa builds input channels itself, from a class path and a credentials mapping; these
subclasses read their settings from the environment (:mod:`app.settings`), so that the
channels themselves take everything as arguments.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import InputChannel

from app.channel_hooks import build_hooks
from app.settings import load_settings, load_wechat_settings
from banshi.privacy.logfilter import install_log_masking
from bot.pages import PublicPagesInput
from bot.wechat.channel import WeChatInput

# The Rasa server imports this module to build its channels: from here on, nothing a citizen
# types reaches its logs unmasked.
install_log_masking()


class WeChatChannel(WeChatInput):
    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(load_wechat_settings(), build_hooks(load_settings()))


class PublicPages(PublicPagesInput):
    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = load_settings()
        return cls(settings.database_url, settings.links())
