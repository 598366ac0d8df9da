"""The push protocol: signatures, AES (WeChat's official sample vectors), refusals, replies."""

from __future__ import annotations

import time

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto

from bot.wechat.protocol import (
    Codec,
    PushParams,
    Refused,
    cdata_safe,
    message_key,
    render_text,
    sign,
)
from wechat_standin.driver import encrypt_push, event_xml, signed_query, text_xml

# WXBizMsgCrypt's sample (公众平台消息加解密 sample code, Sample.py / Sample.java).
SAMPLE_TOKEN = "spamtest"
SAMPLE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_APPID = "wx2c2769f8efd9abc2"
SAMPLE_TIMESTAMP = "1409735669"
SAMPLE_NONCE = "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8P"
    "GHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa"
    "+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X"
    "8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9F"
    "yJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
# The sample push is in compatible mode: plaintext fields and <Encrypt> side by side.
SAMPLE_PUSH = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
    "<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
    f"<Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
)
SAMPLE_SAFE_PUSH = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    f"<Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
)

TOKEN = "banshi-test-token"
APPID = "wx1234567890abcdef"
KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
OLD_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
OPENID = "oTest0000000000000000000000a"


def sample_params(signature: str = "") -> PushParams:
    return PushParams(
        signature=signature or sign(SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE),
        timestamp=SAMPLE_TIMESTAMP,
        nonce=SAMPLE_NONCE,
        encrypt_type="aes",
        msg_signature=SAMPLE_MSG_SIGNATURE,
    )


def sample_codec() -> Codec:
    return Codec(SAMPLE_TOKEN, SAMPLE_APPID, [SAMPLE_KEY])


def now_of_sample() -> float:
    return float(SAMPLE_TIMESTAMP)


# ---------------------------------------------------------------- official vectors


def test_official_sample_msg_signature() -> None:
    assert (
        sign(SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ENCRYPT) == SAMPLE_MSG_SIGNATURE
    )


@pytest.mark.parametrize("body", [SAMPLE_PUSH, SAMPLE_SAFE_PUSH], ids=["compatible", "safe"])
def test_official_sample_push_opens(body: str) -> None:
    inbound = sample_codec().open(sample_params(), body.encode(), now=now_of_sample())
    assert inbound.encrypted
    assert inbound.message.type == "text"
    assert inbound.message.content == "abcdteT"
    assert inbound.openid == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert message_key(inbound.message) == "oyORnuP8q7ou2gfYjqLzSIWZf0rs:m:6054768590064713728"


def test_official_sample_reply_round_trips() -> None:
    codec = sample_codec()
    inbound = codec.open(sample_params(), SAMPLE_SAFE_PUSH.encode(), now=now_of_sample())
    sealed = codec.seal(render_text(inbound.message, "您好"), inbound, SAMPLE_NONCE, "1409735670")
    outer = xmltodict.parse(sealed)["xml"]
    assert outer["MsgSignature"] == sign(SAMPLE_TOKEN, "1409735670", SAMPLE_NONCE, outer["Encrypt"])
    # What WeChat does with it, using wechatpy independently of our code:
    plain = WeChatCrypto(SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_APPID).decrypt_message(
        sealed, outer["MsgSignature"], "1409735670", SAMPLE_NONCE
    )
    reply = xmltodict.parse(plain)["xml"]
    assert reply["Content"] == "您好"
    assert reply["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert reply["FromUserName"] == "gh_10f6c3c3ac5a"


def test_msg_signature_is_checked_not_signature() -> None:
    """wechatpy #739: a right `signature` with a wrong `msg_signature` must be refused."""
    params = PushParams(**{**sample_params().__dict__, "msg_signature": "0" * 40})
    with pytest.raises(Refused) as info:
        sample_codec().open(params, SAMPLE_SAFE_PUSH.encode(), now=now_of_sample())
    assert info.value.status == 403


def test_tampered_ciphertext_is_refused() -> None:
    body = SAMPLE_SAFE_PUSH.replace("hyzAe4", "hyzAe5").encode()
    with pytest.raises(Refused) as info:
        sample_codec().open(sample_params(), body, now=now_of_sample())
    assert info.value.status == 403


# ---------------------------------------------------------------- modes and keys


def codec(keys: list[str] | None = None) -> Codec:
    return Codec(TOKEN, APPID, keys)


def plain_push(content: str = "身份证丢了怎么补办", msg_id: int = 1) -> tuple[PushParams, bytes]:
    xml = text_xml(OPENID, content, msg_id=msg_id)
    return PushParams(**signed_query(TOKEN)), xml.encode()


def test_plain_push_opens() -> None:
    params, body = plain_push()
    inbound = codec().open(params, body)
    assert not inbound.encrypted
    assert inbound.message.content == "身份证丢了怎么补办"


def test_wrong_token_is_refused() -> None:
    _, body = plain_push()
    params = PushParams(**signed_query("another-token"))
    with pytest.raises(Refused) as info:
        codec().open(params, body)
    assert info.value.status == 403


def test_missing_signature_is_refused() -> None:
    _, body = plain_push()
    with pytest.raises(Refused) as info:
        codec().open(PushParams(timestamp=str(int(time.time())), nonce="1"), body)
    assert info.value.status == 403


@pytest.mark.parametrize("skew", [-301, 301, 100000])
def test_timestamp_outside_window_is_refused(skew: int) -> None:
    params = PushParams(**signed_query(TOKEN, timestamp=str(int(time.time()) + skew)))
    with pytest.raises(Refused, match="replay window"):
        codec().open(params, plain_push()[1])


@pytest.mark.parametrize("mode", ["compatible", "safe"])
def test_encrypted_modes_open_and_use_the_key_that_opened(mode: str) -> None:
    xml = text_xml(OPENID, "营业执照要带什么", msg_id=7)
    for key, index in ((KEY, 0), (OLD_KEY, 1)):  # rotation: a push still under the old key
        query, body = encrypt_push(xml, TOKEN, key, APPID, mode=mode)
        inbound = codec([KEY, OLD_KEY]).open(PushParams(**query), body.encode())
        assert inbound.encrypted and inbound.key_index == index
        assert inbound.message.content == "营业执照要带什么"
        sealed = codec([KEY, OLD_KEY]).seal(render_text(inbound.message, "好"), inbound, "n")
        outer = xmltodict.parse(sealed)["xml"]
        plain = WeChatCrypto(TOKEN, key, APPID).decrypt_message(
            sealed, outer["MsgSignature"], outer["TimeStamp"], "n"
        )
        assert "<Content><![CDATA[好]]></Content>" in plain


def test_push_under_an_unknown_key_is_refused() -> None:
    query, body = encrypt_push(text_xml(OPENID, "x"), TOKEN, OLD_KEY, APPID, mode="safe")
    with pytest.raises(Refused, match="decrypted"):
        codec([KEY]).open(PushParams(**query), body.encode())


def test_push_for_another_app_is_refused() -> None:
    query, body = encrypt_push(text_xml(OPENID, "x"), TOKEN, KEY, "wxsomeoneelse00000", "safe")
    with pytest.raises(Refused):
        codec([KEY]).open(PushParams(**query), body.encode())


def test_encrypted_push_without_a_key_configured_is_refused() -> None:
    query, body = encrypt_push(text_xml(OPENID, "x"), TOKEN, KEY, APPID, mode="safe")
    with pytest.raises(Refused, match="WECHAT_AES_KEY"):
        codec().open(PushParams(**query), body.encode())


# ---------------------------------------------------------------- hostile bodies


def test_oversized_body_is_refused_before_anything_else() -> None:
    with pytest.raises(Refused) as info:
        Codec(TOKEN, APPID, max_body_bytes=1024).open(PushParams(), b"<xml>" + b"x" * 2000)
    assert info.value.status == 413


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">]>',
        '<!doctype xml SYSTEM "http://evil/x.dtd">',
        '<!DOCTYPE xml [<!ENTITY % p SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_entities_are_refused(prolog: str) -> None:
    params, body = plain_push()
    with pytest.raises(Refused) as info:
        codec().open(params, prolog.encode() + body)
    assert info.value.status == 400


def test_entities_inside_the_ciphertext_are_refused() -> None:
    xml = '<!DOCTYPE xml [<!ENTITY a "b">]>' + text_xml(OPENID, "&a;")
    query, body = encrypt_push(xml, TOKEN, KEY, APPID, mode="safe")
    with pytest.raises(Refused, match="DOCTYPE"):
        codec([KEY]).open(PushParams(**query), body.encode())


@pytest.mark.parametrize("body", [b"<xml><FromUserName>", b"not xml", b"<other/>", b""])
def test_malformed_pushes_are_refused(body: bytes) -> None:
    with pytest.raises(Refused) as info:
        codec().open(PushParams(**signed_query(TOKEN)), body)
    assert info.value.status == 400


# ---------------------------------------------------------------- GET, keys, replies


def test_url_verification_echoes_unchanged() -> None:
    query = signed_query(TOKEN)
    params = PushParams(**query, echostr="5627481953497291000")
    assert codec([KEY]).verify_url(params) == "5627481953497291000"
    with pytest.raises(Refused):
        codec().verify_url(PushParams(**signed_query("nope"), echostr="1"))


def test_events_are_keyed_by_sender_and_create_time() -> None:
    xml = event_xml(OPENID, "CLICK", key="RATE", create_time=1700000000)
    inbound = codec().open(PushParams(**signed_query(TOKEN)), xml.encode())
    assert message_key(inbound.message) == f"{OPENID}:e:1700000000:click:RATE"


def test_same_msg_id_from_two_citizens_is_two_messages() -> None:
    a = codec().open(PushParams(**signed_query(TOKEN)), text_xml(OPENID, "x", msg_id=5).encode())
    other = OPENID[:-1] + "b"
    b = codec().open(PushParams(**signed_query(TOKEN)), text_xml(other, "x", msg_id=5).encode())
    assert message_key(a.message) != message_key(b.message)


@pytest.mark.parametrize(
    "content",
    ["代码 a]]>b 结束", "]]>", "x]]]]>y", "<script>&amp;</script>", "控制\x00字符\x1f", "a]]"],
)
def test_reply_text_survives_cdata(content: str) -> None:
    params, body = plain_push()
    inbound = codec().open(params, body)
    reply = xmltodict.parse(render_text(inbound.message, content))["xml"]
    assert reply["Content"] == content.replace("\x00", "").replace("\x1f", "")
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == OPENID


def test_cdata_safe_leaves_ordinary_text_alone() -> None:
    assert cdata_safe("办理时限：20个工作日") == "办理时限：20个工作日"
