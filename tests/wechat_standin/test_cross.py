"""The channel's codec and the stand-in, each judged by the other.

Each side is written independently (the channel on wechatpy and ``cryptography``, the stand-in
on pycryptodome from the protocol), so agreement here means both follow WeChat's rules, and
the vectors in test_crypto.py pin the stand-in to WeChat's own sample.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
import xmltodict
from aiohttp import web

from bot.wechat.protocol import Codec, PushParams, Refused, render_text
from wechat_standin.api import StandinAPI
from wechat_standin.crypto import Envelope
from wechat_standin.driver import (
    Account,
    PushDriver,
    PushOutcome,
    encrypt_push,
    event_xml,
    signed_query,
    text_xml,
)
from wechat_standin.server import BackgroundStandin

TOKEN = "spamtest"  # WXBizMsgCrypt's sample account
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx2c2769f8efd9abc2"
OTHER_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
OPENID = "oCross000000000000000000001"

CODEC = Codec(TOKEN, APPID, [KEY])


# ---------------------------------------------------------------- the stand-in's push, opened


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_the_channel_opens_the_standins_encrypted_push(mode: str) -> None:
    xml = text_xml(OPENID, "护照怎么办？]]>和<标签>")
    query, body = encrypt_push(xml, TOKEN, KEY, APPID, mode)
    inbound = CODEC.open(PushParams.from_query(query), body.encode("utf-8"))
    assert inbound.encrypted and inbound.key_index == 0
    assert inbound.message.content == "护照怎么办？]]>和<标签>"
    assert inbound.openid == OPENID
    if mode == "compatible":  # the plaintext fields ride along, as WeChat sends them
        assert xmltodict.parse(body)["xml"]["Content"] == "护照怎么办？]]>和<标签>"
    else:
        assert "Content" not in xmltodict.parse(body)["xml"]


def test_the_channel_accepts_the_standins_plain_signature_and_refuses_a_wrong_one() -> None:
    xml = event_xml(OPENID, "subscribe")
    inbound = CODEC.open(PushParams.from_query(signed_query(TOKEN)), xml.encode())
    assert not inbound.encrypted and inbound.is_event
    with pytest.raises(Refused):
        CODEC.open(PushParams.from_query(signed_query("not-the-token")), xml.encode())


def test_the_channel_refuses_a_push_whose_msg_signature_the_standin_did_not_make() -> None:
    query, body = encrypt_push(text_xml(OPENID, "你好"), TOKEN, KEY, APPID)
    with pytest.raises(Refused) as info:
        CODEC.open(PushParams.from_query({**query, "msg_signature": "0" * 40}), body.encode())
    assert info.value.status == 403


# ---------------------------------------------------------------- the channel's reply, opened


def test_the_standin_opens_the_channels_sealed_reply() -> None:
    query, body = encrypt_push(text_xml(OPENID, "你好"), TOKEN, KEY, APPID)
    inbound = CODEC.open(PushParams.from_query(query), body.encode())
    sealed = xmltodict.parse(CODEC.seal(render_text(inbound.message, "您好！"), inbound, "77"))
    outer = sealed["xml"]
    envelope = Envelope(TOKEN, APPID, KEY)
    assert outer["MsgSignature"] == envelope.msg_signature(
        outer["TimeStamp"], outer["Nonce"], outer["Encrypt"]
    )
    reply = xmltodict.parse(envelope.decrypt(outer["Encrypt"]))["xml"]
    assert (reply["ToUserName"], reply["MsgType"], reply["Content"]) == (OPENID, "text", "您好！")


class ChannelWebhook:
    """A webhook made of the channel's codec: opens the push, answers 收到：<text>, and seals
    the reply with ``reply_codec`` (the channel's own, or a misconfigured one)."""

    def __init__(self) -> None:
        self.reply_codec = CODEC
        self.tamper: Callable[[str], str] = lambda sealed: sealed

    async def handle(self, request: web.Request) -> web.Response:
        try:
            inbound = CODEC.open(PushParams.from_query(request.query), await request.read())
        except Refused as exc:
            return web.Response(status=exc.status, text=exc.reason)
        reply = render_text(inbound.message, f"收到：{inbound.message.content}")
        return web.Response(text=self.tamper(self.reply_codec.seal(reply, inbound, "4242")))


@pytest.fixture(scope="module")
def webhook() -> Iterator[tuple[ChannelWebhook, str]]:
    hook = ChannelWebhook()

    def install(app: web.Application) -> None:
        app.router.add_post("/hook", hook.handle)

    server = BackgroundStandin(StandinAPI(appid=APPID), extra=install).start()
    yield hook, server.url + "hook"
    server.stop()


def deliver(url: str, mode: str, text: str = "办护照") -> PushOutcome:
    async def go() -> PushOutcome:
        driver = PushDriver(url, Account(TOKEN, APPID, KEY, mode), timeout=5.0)
        try:
            return await driver.push(text_xml(OPENID, text))
        finally:
            await driver.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_a_whole_exchange_in_every_mode(webhook: tuple[ChannelWebhook, str], mode: str) -> None:
    hook, url = webhook
    hook.reply_codec, hook.tamper = CODEC, (lambda sealed: sealed)
    outcome = deliver(url, mode, "办护照要带什么？")
    assert outcome.ok, outcome.failure
    assert outcome.reply == "收到：办护照要带什么？" and outcome.reply_type == "text"
    assert len(outcome.deliveries) == 1


@pytest.mark.parametrize(
    "codec,failure",
    [
        (Codec(TOKEN, APPID, [OTHER_KEY]), "cannot be decrypted"),
        (Codec(TOKEN, "wx0000000000000000", [KEY]), "appid"),
        (Codec("another-token", APPID, [KEY]), "wrong MsgSignature"),
    ],
    ids=["other key", "other appid", "other token"],
)
def test_a_reply_sealed_for_another_account_shows_the_citizen_an_error(
    webhook: tuple[ChannelWebhook, str], codec: Codec, failure: str
) -> None:
    hook, url = webhook
    hook.reply_codec, hook.tamper = codec, (lambda sealed: sealed)
    outcome = deliver(url, "safe")
    assert not outcome.ok and failure in outcome.failure


def test_a_tampered_reply_is_caught(webhook: tuple[ChannelWebhook, str]) -> None:
    hook, url = webhook
    hook.reply_codec = CODEC
    hook.tamper = lambda sealed: sealed.replace(
        "<Nonce><![CDATA[4242]]>", "<Nonce><![CDATA[4243]]>"
    )
    outcome = deliver(url, "safe")
    assert not outcome.ok and "MsgSignature" in outcome.failure
