"""WeChat's push side: signed (optionally encrypted) pushes, the 5-second timeout, retries.

Like WeChat, a :class:`PushDriver` delivers a push, waits at most 5 seconds for the reply,
and delivers the same push again when none came, up to 3 deliveries. It then judges the
reply as WeChat would: ``success`` or an empty body ends the exchange quietly; a passive
reply must be well-formed XML addressed to the citizen (encrypted when the push was);
anything else shows the citizen "该公众号暂时无法提供服务".

Signatures and AES are the stand-in's own (:mod:`wechat_standin.crypto`): the channel under
test is never judged with its own code.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from xml.parsers.expat import ExpatError

import httpx
import xmltodict

from wechat_standin.account import ACCOUNT_ID, Account, Mode
from wechat_standin.crypto import CryptoError, Envelope, signature

__all__ = [
    "ACCOUNT_ID",
    "UNAVAILABLE",
    "Account",
    "Delivery",
    "PushDriver",
    "PushOutcome",
    "encrypt_push",
    "event_xml",
    "image_xml",
    "link_xml",
    "location_xml",
    "signed_query",
    "text_xml",
    "voice_xml",
]

UNAVAILABLE = "该公众号暂时无法提供服务，请稍后再试"
WECHAT_TIMEOUT = 5.0
WECHAT_DELIVERIES = 3
REPLY_LIMIT = 2048  # bytes; WeChat's practical limit for a text reply

_counter = itertools.count()


def new_msg_id() -> int:
    """A 64-bit MsgId, unique across processes in practice."""
    return time.time_ns() // 1000 * 1000 + next(_counter) % 1000


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _xml(fields: dict[str, Any]) -> str:
    nodes = []
    for name, value in fields.items():
        text = str(value) if isinstance(value, int | float) else _cdata(str(value))
        nodes.append(f"<{name}>{text}</{name}>")
    return "<xml>" + "".join(nodes) + "</xml>"


def _base(openid: str, kind: str, create_time: int | None, to: str) -> dict[str, Any]:
    return {
        "ToUserName": to,
        "FromUserName": openid,
        "CreateTime": int(create_time or time.time()),
        "MsgType": kind,
    }


def text_xml(
    openid: str,
    content: str,
    msg_id: int | None = None,
    create_time: int | None = None,
    to: str = ACCOUNT_ID,
) -> str:
    fields = _base(openid, "text", create_time, to)
    fields.update(Content=content, MsgId=msg_id or new_msg_id())
    return _xml(fields)


def voice_xml(openid: str, recognition: str = "", msg_id: int | None = None) -> str:
    fields = _base(openid, "voice", None, ACCOUNT_ID)
    fields.update(MediaId="media_" + secrets.token_hex(8), Format="amr")
    fields.update(Recognition=recognition, MsgId=msg_id or new_msg_id())
    return _xml(fields)


def image_xml(openid: str, msg_id: int | None = None) -> str:
    fields = _base(openid, "image", None, ACCOUNT_ID)
    fields.update(
        PicUrl="http://mmbiz.qpic.cn/example.jpg", MediaId="media_" + secrets.token_hex(8)
    )
    fields.update(MsgId=msg_id or new_msg_id())
    return _xml(fields)


def link_xml(openid: str, title: str, url: str, msg_id: int | None = None) -> str:
    fields = _base(openid, "link", None, ACCOUNT_ID)
    fields.update(Title=title, Description=title, Url=url, MsgId=msg_id or new_msg_id())
    return _xml(fields)


def location_xml(
    openid: str, lat: float, lng: float, label: str = "", msg_id: int | None = None
) -> str:
    fields = _base(openid, "location", None, ACCOUNT_ID)
    fields.update(Location_X=lat, Location_Y=lng, Scale=15, Label=label)
    fields.update(MsgId=msg_id or new_msg_id())
    return _xml(fields)


def event_xml(
    openid: str,
    event: str,
    key: str | None = None,
    create_time: int | None = None,
    **extra: Any,
) -> str:
    fields = _base(openid, "event", create_time, ACCOUNT_ID)
    fields["Event"] = event
    if key is not None:
        fields["EventKey"] = key
    fields.update(extra)
    return _xml(fields)


def signed_query(
    token: str, timestamp: str | None = None, nonce: str | None = None, openid: str = ""
) -> dict[str, str]:
    """The query string of a plain push (``signature``, ``timestamp``, ``nonce``)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    query = {
        "signature": signature(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    if openid:
        query["openid"] = openid
    return query


def encrypt_push(
    xml: str,
    token: str,
    aes_key: str,
    appid: str,
    mode: str = Mode.SAFE.value,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> tuple[dict[str, str], str]:
    """The query and body of an encrypted push (``compatible`` keeps the plaintext too)."""
    query = signed_query(token, timestamp, nonce)
    encrypt = Envelope(token, appid, aes_key).encrypt(xml)
    query["encrypt_type"] = "aes"
    query["msg_signature"] = signature(token, query["timestamp"], query["nonce"], encrypt)
    if mode == Mode.COMPATIBLE:
        body = xml.replace("</xml>", f"<Encrypt>{_cdata(encrypt)}</Encrypt></xml>")
    else:
        found = re.search(r"<ToUserName><!\[CDATA\[(.*?)\]\]></ToUserName>", xml)
        to = found.group(1) if found else ACCOUNT_ID
        body = (
            f"<xml><ToUserName>{_cdata(to)}</ToUserName><Encrypt>{_cdata(encrypt)}</Encrypt></xml>"
        )
    return query, body


@dataclass
class Delivery:
    started: float  # seconds after the first delivery started
    seconds: float | None  # None: no reply within WeChat's 5 s
    status: int | None = None
    body: str = ""
    error: str = ""


@dataclass
class PushOutcome:
    deliveries: list[Delivery] = field(default_factory=list)
    reply: str | None = None  # the passive reply's text; None for `success` / empty
    reply_type: str = ""  # text / news / … when a passive reply came
    failure: str = ""  # why WeChat would show the citizen UNAVAILABLE ('' = fine)

    @property
    def ok(self) -> bool:
        return not self.failure

    @property
    def latency(self) -> float | None:
        """Seconds until the delivery WeChat used was answered."""
        for d in self.deliveries:
            if d.seconds is not None and d.status == 200:
                return d.started + d.seconds
        return None


class PushDriver:
    """Plays WeChat's push side against a webhook."""

    def __init__(
        self,
        webhook_url: str,
        account: Account,
        timeout: float = WECHAT_TIMEOUT,
        deliveries: int = WECHAT_DELIVERIES,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = webhook_url
        self.account = account
        self.timeout = timeout
        self.max_deliveries = deliveries
        self.client = client or httpx.AsyncClient(
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50)
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def build(self, xml: str) -> tuple[dict[str, str], str]:
        """A fresh signature (and encryption) for one delivery of ``xml``."""
        a = self.account
        if not a.encrypted or not a.aes_key:
            return signed_query(a.token), xml
        return encrypt_push(xml, a.token, a.aes_key, a.appid, a.mode)

    async def _deliver(
        self, xml: str, start: float, openid: str
    ) -> tuple[Delivery, dict[str, str]]:
        query, body = self.build(xml)
        if openid:
            query["openid"] = openid
        began = time.monotonic()
        delivery = Delivery(started=began - start, seconds=None)
        try:
            response = await self.client.post(
                self.url,
                params=query,
                content=body.encode("utf-8"),
                headers={"Content-Type": "text/xml"},
                timeout=self.timeout,
            )
        except httpx.TimeoutException:
            delivery.error = "timeout"
            return delivery, query
        except httpx.HTTPError as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
            return delivery, query
        delivery.seconds = time.monotonic() - began
        delivery.status = response.status_code
        delivery.body = response.text
        return delivery, query

    async def push(self, xml: str, repeat: int = 1, gap: float = 0.0) -> PushOutcome:
        """Deliver ``xml`` as WeChat would; judge the reply WeChat would use.

        ``repeat`` > 1 delivers it that many times whatever the replies (``gap`` seconds
        apart, overlapping), the worst case of WeChat's retries, to prove de-duplication.
        """
        parsed = xmltodict.parse(xml)["xml"]
        openid = str(parsed.get("FromUserName", ""))
        start = time.monotonic()
        outcome = PushOutcome()
        if repeat > 1:

            async def later(i: int) -> tuple[Delivery, dict[str, str]]:
                await asyncio.sleep(i * gap)
                return await self._deliver(xml, start, openid)

            results = await asyncio.gather(*(later(i) for i in range(repeat)))
        else:
            results = []
            for _ in range(self.max_deliveries):
                delivery, query = await self._deliver(xml, start, openid)
                results.append((delivery, query))
                if delivery.error != "timeout" and not delivery.error.startswith("Connect"):
                    break
        outcome.deliveries = [d for d, _ in results]
        answered = [(d, q) for d, q in results if d.seconds is not None]
        if not answered:
            outcome.failure = f"no reply within {self.timeout:.0f} s, {len(results)} deliveries"
            return outcome
        # WeChat uses the reply that came back; with several, the one with text if any.
        used = next(
            ((d, q) for d, q in answered if d.body.strip() not in ("", "success")), answered[0]
        )
        self._judge(used[0], used[1], parsed, outcome)
        return outcome

    def _judge(
        self, delivery: Delivery, query: dict[str, str], push: dict[str, Any], outcome: PushOutcome
    ) -> None:
        if delivery.status != 200:
            outcome.failure = f"HTTP {delivery.status}: {delivery.body[:200]}"
            return
        body = delivery.body.strip()
        if body in ("", "success"):
            return
        try:
            reply = xmltodict.parse(body)["xml"]
        except Exception as exc:
            outcome.failure = f"malformed reply XML: {exc}"
            return
        if not isinstance(reply, dict):
            outcome.failure = "malformed reply XML: an empty <xml>"
            return
        if "Encrypt" in reply:
            opened = self._open(reply)
            if isinstance(opened, str):
                outcome.failure = opened
                return
            reply = opened
        elif self.account.mode == Mode.SAFE:
            outcome.failure = "a plaintext reply to a safe-mode push"
            return
        if reply.get("ToUserName") != push.get("FromUserName"):
            outcome.failure = "the reply is not addressed to the citizen"
            return
        if reply.get("FromUserName") != push.get("ToUserName"):
            outcome.failure = "the reply does not come from the account"
            return
        outcome.reply_type = str(reply.get("MsgType") or "")
        if outcome.reply_type == "text":
            content = str(reply.get("Content") or "")
            if len(content.encode("utf-8")) > REPLY_LIMIT:
                outcome.failure = f"reply of {len(content.encode())} bytes is too long"
                return
            outcome.reply = content
        elif not outcome.reply_type:
            outcome.failure = "reply without MsgType"

    def _open(self, sealed: dict[str, Any]) -> dict[str, Any] | str:
        """An encrypted passive reply opened as WeChat would, or why WeChat could not."""
        envelope = self.account.envelope()
        if not self.account.encrypted or envelope is None:
            return "an encrypted reply to a plain push"
        encrypt = sealed.get("Encrypt")
        stamp, nonce = sealed.get("TimeStamp"), sealed.get("Nonce")
        if not isinstance(encrypt, str) or not stamp or not nonce:
            return "an encrypted reply needs Encrypt, TimeStamp and Nonce"
        if envelope.msg_signature(str(stamp), str(nonce), encrypt) != sealed.get("MsgSignature"):
            return "wrong MsgSignature on the reply"
        try:
            inner = xmltodict.parse(envelope.decrypt(encrypt)).get("xml")
        except CryptoError as exc:
            return f"reply cannot be decrypted: {exc}"
        except ExpatError as exc:
            return f"the decrypted reply is not XML: {exc}"
        return inner if isinstance(inner, dict) else "the decrypted reply has no <xml> fields"
