"""The stand-in's own signatures and AES envelope against published vectors.

The decryption vector is Tencent's WXBizMsgCrypt sample (公众平台消息加解密 sample code:
token ``spamtest``, the alphabet EncodingAESKey, appid ``wx2c2769f8efd9abc2``), the same
bytes every port repeats (e.g. the npm ``wxbizmsgcrypto`` README, chanxuehong/wechat's mp
tests). The encryption vector fixes the 16 random bytes: it is the WXBizMsgCrypt sample's
``to_xml`` sealed with random ``HLFOQjbkfgUh46s8`` (the Ruby gem we_whisper's spec), so the
whole ciphertext is known byte for byte.
"""

from __future__ import annotations

import base64

import pytest

from wechat_standin.crypto import CryptoError, Envelope, aes_key, pad, signature, unpad

TOKEN = "spamtest"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx2c2769f8efd9abc2"
TIMESTAMP, NONCE = "1409735669", "1320562132"
URL_SIGNATURE = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8P"
    "GHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa"
    "+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X"
    "8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9F"
    "yJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
PLAINTEXT = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    "<CreateTime>1409735668</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[abcdteT]]></Content>\n"
    "<MsgId>6054768590064713728</MsgId>\n"
    "</xml>"
)

SEALED_RANDOM = b"HLFOQjbkfgUh46s8"
SEALED_TIMESTAMP = "1415979516"
SEALED_XML = (
    "<xml><ToUserName><![CDATA[oia2TjjewbmiOUlr6X-1crbLOvLw]]></ToUserName>"
    "<FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime>"
    "<MsgType>  <![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-"
    "HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]>"
    "</Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>"
)
SEALED = (
    "3kKZ++U5ocvIF8dAHPct7xvUqEv6vplhuzA8Vwj7OnVcBu9fdmbbI41zclSfKqP6/bdYAxuE3x8jse43ImHaV07siJF"
    "473TsXhl8Yt8task0n9KC7BDA73mFTwlhYvuCIFnU6wFlzOkHyM5Bh2qpOHYk5nSMRyUG4BwmXpxq8TvLgJV1jj2DXdG"
    "W4qdknGLfJgDH5sCPJeBzNC8j8KtrJFxmG7qIwKHn3H5sqBf6UqhXFdbLuTWL3jwE7yMLhzOmiHi/MX/ZsVQ7sMuBiV6"
    "bW0wkgielESC3yNUPo4q/RMAFEH0fRLr76BR5Ct0nUbf9PdClc0RdlYcztyOs54X/KLbYRNCQ2kXxmJYL6ekdNe70PC"
    "AReIEfXEp+pGpry4ss8bD6LKAtNvBJUwHshZe6sbf+fOiDiuKEqp1wdQLmgN+8nX62LklySWr8QrNCpsmKClxco0kbVY"
    "NX/QVh5yd0UA1sAqIn6baZ9G+Z/OXG+Q4n9lUuzLprLhDBPaCvXm4N14oqXNcw7tqU2xfhYNIDaD72djyIc/4eyAi2Zs"
    "J+3hb+jgiISR5WVveRWYYqGZGTW3u+27JiXEo0fs3DQDbGVIcYxaMgU/RRIDdXzZSFcf6Z1azjzCDyV9FFEsicghHn"
)
SEALED_MSG_SIGNATURE = "096d8cda45e4678ca23460f6b8cd281b3faf1fc3"

ENVELOPE = Envelope(TOKEN, APPID, KEY)


def test_the_official_url_signature() -> None:
    assert signature(TOKEN, TIMESTAMP, NONCE) == URL_SIGNATURE
    assert signature(NONCE, TOKEN, TIMESTAMP) == URL_SIGNATURE  # sorted, whatever the order


def test_the_official_msg_signature_covers_the_ciphertext() -> None:
    assert ENVELOPE.msg_signature(TIMESTAMP, NONCE, ENCRYPT) == MSG_SIGNATURE
    assert signature(TOKEN, TIMESTAMP, NONCE) != MSG_SIGNATURE


def test_the_official_sample_push_decrypts_byte_for_byte() -> None:
    assert ENVELOPE.decrypt(ENCRYPT) == PLAINTEXT


def test_a_known_random_prefix_gives_the_known_ciphertext() -> None:
    sealed = ENVELOPE.encrypt(SEALED_XML, random_prefix=SEALED_RANDOM)
    assert sealed == SEALED
    assert ENVELOPE.msg_signature(SEALED_TIMESTAMP, NONCE, sealed) == SEALED_MSG_SIGNATURE
    assert ENVELOPE.decrypt(SEALED) == SEALED_XML


def test_random_prefixes_differ_and_chinese_round_trips() -> None:
    xml = "<xml><Content><![CDATA[您好，护照在哪里办？]]></Content></xml>"
    first, second = ENVELOPE.encrypt(xml), ENVELOPE.encrypt(xml)
    assert first != second
    assert ENVELOPE.decrypt(first) == ENVELOPE.decrypt(second) == xml


def test_pkcs7_pads_to_32_bytes_and_a_whole_block_when_aligned() -> None:
    assert len(pad(b"x" * 5)) == 32 and pad(b"x" * 5)[-1] == 27
    assert pad(b"x" * 32) == b"x" * 32 + bytes([32]) * 32
    assert unpad(pad(b"abc")) == b"abc"
    with pytest.raises(CryptoError, match="padding"):
        unpad(b"x" * 31 + bytes([33]))
    with pytest.raises(CryptoError, match="padding"):
        unpad(b"x" * 29 + bytes([1, 2, 3]))  # the last byte says 3, the others disagree


def test_a_push_for_another_appid_is_not_opened() -> None:
    with pytest.raises(CryptoError, match="appid"):
        Envelope(TOKEN, "wx0000000000000000", KEY).decrypt(ENCRYPT)


def test_a_wrong_key_or_a_broken_ciphertext_is_refused() -> None:
    other = Envelope(TOKEN, APPID, "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj")
    with pytest.raises(CryptoError):
        other.decrypt(ENCRYPT)
    with pytest.raises(CryptoError, match="base64"):
        ENVELOPE.decrypt("not base64 at all!")
    short = base64.b64encode(base64.b64decode(ENCRYPT)[:-1]).decode()
    with pytest.raises(CryptoError, match="multiple of 32"):
        ENVELOPE.decrypt(short)


@pytest.mark.parametrize("key", ["short", KEY + "H", KEY[:-1] + "="])
def test_an_encoding_aes_key_is_43_letters_and_digits(key: str) -> None:
    with pytest.raises(CryptoError, match="43"):
        aes_key(key)
    assert len(aes_key(KEY)) == 32
