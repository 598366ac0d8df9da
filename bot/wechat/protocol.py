"""The WeChat push protocol: a signed (optionally encrypted) push in, a reply out.

It reads like the protocol and knows nothing of Rasa: :meth:`Codec.open` checks and opens a
push into a wechatpy message, :func:`render_text` and :meth:`Codec.seal` build the reply.
Everything a forged, replayed or hostile push can do is refused here with a :class:`Refused`
that carries the HTTP status to answer with.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

SUCCESS = "success"  # stops WeChat's retries; needs no encryption (NOTES.md)

# A DOCTYPE is the only way to declare entities; with none, expat knows just the five
# predefined ones, so refusing it before parsing rules out entity expansion attacks.
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# Characters XML 1.0 does not allow: a reply containing one would be malformed.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Refused(Exception):
    """A push we do not process; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class PushParams:
    """The query string WeChat signs a push with."""

    signature: str = ""
    timestamp: str = ""
    nonce: str = ""
    echostr: str = ""
    openid: str = ""
    encrypt_type: str = ""
    msg_signature: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, object]) -> PushParams:
        def one(name: str) -> str:
            value = query.get(name)
            if isinstance(value, list):
                value = value[0] if value else ""
            return str(value or "")

        return cls(**{name: one(name) for name in cls.__dataclass_fields__})

    @property
    def encrypted(self) -> bool:
        return self.encrypt_type.lower() == "aes"


@dataclass(frozen=True)
class Inbound:
    """An opened push: the message, its plaintext XML and how to seal the reply."""

    message: BaseMessage
    xml: str
    encrypted: bool
    key_index: int  # which AES key opened it (0 current, 1 previous); -1 when plain

    @property
    def openid(self) -> str:
        return str(self.message.source)

    @property
    def is_event(self) -> bool:
        return field(self.message, "MsgType").lower() == "event"


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted, concatenated parts."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def field(message: BaseMessage, name: str) -> str:
    """A field of the push as WeChat sent it ('' when absent)."""
    value = message._data.get(name)
    return "" if value is None else str(value)


def message_key(message: BaseMessage) -> str:
    """The identity of a push across WeChat's retries.

    FromUserName+MsgId for messages (MsgId alone has collided across users, WxJava #333);
    FromUserName+CreateTime for events, which have no MsgId; the event and its key are added
    so that two different clicks in the same second stay apart (a retry repeats both).
    """
    source = field(message, "FromUserName")
    msg_id = field(message, "MsgId")
    if msg_id not in ("", "0"):
        return f"{source}:m:{msg_id}"
    event = (field(message, "Event") or field(message, "MsgType")).lower()
    event_key = field(message, "EventKey")
    if len(event_key) > 64 or not event_key.isprintable():
        event_key = hashlib.sha1(event_key.encode("utf-8")).hexdigest()
    return f"{source}:e:{field(message, 'CreateTime')}:{event}:{event_key}"


def _refuse_dtd(data: bytes) -> None:
    if _DTD.search(data):
        raise Refused(400, "XML with a DOCTYPE or ENTITY declaration is not accepted")


def _xml_dict(data: bytes) -> dict[str, object]:
    _refuse_dtd(data)
    try:
        parsed = xmltodict.parse(data.decode("utf-8"))
    except (ExpatError, ValueError) as exc:
        raise Refused(400, f"malformed XML: {exc}") from None
    root = parsed.get("xml") if isinstance(parsed, dict) else None
    if not isinstance(root, dict):
        raise Refused(400, "the push has no <xml> root element")
    return root


def _parse(xml: str) -> BaseMessage:
    _refuse_dtd(xml.encode("utf-8"))
    try:
        message = parse_message(xml)
    except (ExpatError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Refused(400, f"unreadable push: {exc!r}") from None
    if not isinstance(getattr(message, "_data", None), dict) or not field(message, "FromUserName"):
        raise Refused(400, "the push has no FromUserName")
    return message


class Codec:
    """Checks, opens and seals pushes for one 公众号 (token, app id, AES keys)."""

    def __init__(
        self,
        token: str,
        appid: str,
        aes_keys: list[str] | None = None,
        replay_window: int = 300,
        max_body_bytes: int = 64 * 1024,
    ) -> None:
        self.token = token
        self.appid = appid
        self.cryptos = [WeChatCrypto(token, key, appid) for key in aes_keys or []]
        self.replay_window = replay_window
        self.max_body_bytes = max_body_bytes

    # ------------------------------------------------------------------ checks

    def _check_signature(self, params: PushParams) -> None:
        expected = sign(self.token, params.timestamp, params.nonce)
        if not hmac.compare_digest(expected, params.signature.lower()):
            raise Refused(403, "wrong signature")

    def _check_timestamp(self, params: PushParams, now: float | None) -> None:
        try:
            stamp = int(params.timestamp)
        except ValueError:
            raise Refused(403, "the timestamp is not a number") from None
        if abs((time.time() if now is None else now) - stamp) > self.replay_window:
            raise Refused(403, "the timestamp is outside the replay window")

    def verify_url(self, params: PushParams) -> str:
        """The GET URL check: the echostr, unchanged, when the signature is right."""
        self._check_signature(params)
        return params.echostr

    # ------------------------------------------------------------------ in

    def open(self, params: PushParams, body: bytes, now: float | None = None) -> Inbound:
        """Check a POSTed push and open it into a message; raise :class:`Refused` otherwise."""
        if len(body) > self.max_body_bytes:
            raise Refused(413, f"the push is larger than {self.max_body_bytes} bytes")
        if not params.signature or not params.timestamp or not params.nonce:
            raise Refused(403, "signature, timestamp and nonce are required")
        self._check_signature(params)
        self._check_timestamp(params, now)
        if not params.encrypted:
            try:
                xml = body.decode("utf-8")
            except UnicodeDecodeError:
                raise Refused(400, "the push is not UTF-8") from None
            if not xml.strip():
                raise Refused(400, "empty push")
            return Inbound(_parse(xml), xml, encrypted=False, key_index=-1)
        if not self.cryptos:
            raise Refused(400, "an encrypted push, but WECHAT_AES_KEY is not set")
        encrypt = _xml_dict(body).get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise Refused(400, "an encrypted push without <Encrypt>")
        # msg_signature covers the ciphertext; `signature` does not (wechatpy #739).
        expected = sign(self.token, params.timestamp, params.nonce, encrypt)
        if not params.msg_signature or not hmac.compare_digest(
            expected, params.msg_signature.lower()
        ):
            raise Refused(403, "wrong msg_signature")
        for index, crypto in enumerate(self.cryptos):
            try:
                xml = crypto.decrypt_message(
                    {"Encrypt": encrypt}, expected, params.timestamp, params.nonce
                )
            except Exception:  # wrong key: bad padding, garbage length or another app id
                continue
            return Inbound(_parse(xml), xml, encrypted=True, key_index=index)
        raise Refused(400, "the push cannot be decrypted with the configured AES keys")

    # ------------------------------------------------------------------ out

    def seal(
        self, reply_xml: str, inbound: Inbound, nonce: str, timestamp: str | None = None
    ) -> str:
        """The reply as WeChat expects it: encrypted (with the key that opened the push) or not."""
        if not inbound.encrypted:
            return reply_xml
        crypto = self.cryptos[max(inbound.key_index, 0)]
        return str(crypto.encrypt_message(reply_xml, nonce, timestamp))


def cdata_safe(text: str) -> str:
    """Text that cannot break out of the CDATA section wechatpy wraps it in.

    ``]]>`` would end the section early (a wechatpy trap); it is split across two sections.
    Characters XML does not allow at all are dropped.
    """
    return _XML_ILLEGAL.sub("", text).replace("]]>", "]]]]><![CDATA[>")


def render_text(message: BaseMessage, content: str) -> str:
    """A passive text reply to ``message`` (the XML WeChat expects, plaintext)."""
    reply = TextReply(message=message, content=cdata_safe(content))
    return str(reply.render())
