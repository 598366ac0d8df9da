"""The 公众号 as WeChat knows it: token, appid, secret, EncodingAESKey and message mode.

On WeChat these are typed into the 公众号 console; here they are arguments. The development
values are the ones the assistant also falls back to with no ``WECHAT_*`` set (both sides of a
real account are configured alike, not derived from each other): a test checks they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from wechat_standin.crypto import Envelope, aes_key

DEV_TOKEN = "banshi-dev-token"
DEV_APPID = "wx00000000banshidev"
DEV_APPSECRET = "banshi-dev-secret"
ACCOUNT_ID = "gh_banshi0000001"  # the 公众号's original id (ToUserName of every push)


class Mode(str, Enum):
    """消息加解密方式, as chosen in the console."""

    PLAIN = "plain"  # 明文模式
    COMPATIBLE = "compatible"  # 兼容模式: plaintext fields and <Encrypt> side by side
    SAFE = "safe"  # 安全模式: <Encrypt> only

    @property
    def label(self) -> str:
        return {"plain": "明文", "compatible": "兼容", "safe": "安全"}[self.value]


@dataclass(frozen=True)
class Account:
    """What pushes are signed and encrypted with (``mode``: plain, compatible or safe)."""

    token: str
    appid: str
    aes_key: str | None = None
    mode: str = Mode.PLAIN.value
    original_id: str = ACCOUNT_ID

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode).value)  # ValueError names a bad mode
        if self.aes_key is not None:
            aes_key(self.aes_key)  # CryptoError: not a 43-character EncodingAESKey
        if self.mode != Mode.PLAIN and not self.aes_key:
            raise ValueError(f"{self.mode} mode needs an EncodingAESKey")

    @property
    def encrypted(self) -> bool:
        return self.mode != Mode.PLAIN

    def envelope(self) -> Envelope | None:
        return Envelope(self.token, self.appid, self.aes_key) if self.aes_key else None
