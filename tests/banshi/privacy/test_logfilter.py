"""MaskingFilter on a real logger and handler."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from banshi.privacy.logfilter import MaskingFilter, install_log_masking


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("banshi.test.privacy")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    child = logging.getLogger("banshi.test.privacy.child")  # propagates into ``handler``
    yield child, stream
    logger.removeHandler(handler)


def test_message_and_args_are_masked(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    logger.info("citizen %s said: %s", "oAbC123", "我手机13800138000，身份证11010519491231002X")
    logger.warning("card %(card)s", {"card": "6222021234567890128"})
    out = stream.getvalue()
    assert "13800138000" not in out and "11010519491231002X" not in out
    assert "6222021234567890128" not in out
    assert "138****8000" in out and "110***********002X" in out and "**** **** **** 0128" in out
    assert "citizen oAbC123 said" in out


def test_exception_text_is_masked(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    try:
        raise ValueError("bad id 11010519491231002X")
    except ValueError:
        logger.exception("failed for %s", "13800138000")
    out = stream.getvalue()
    assert "Traceback" in out and "ValueError: bad id 110***********002X" in out
    assert "11010519491231002X" not in out and "13800138000" not in out


def test_bad_format_string_is_still_logged_masked(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    logger.error("two %s %s", "13800138000")
    out = stream.getvalue()
    assert "138****8000" in out and "13800138000" not in out


def test_installed_record_factory_masks_for_any_handler() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # no filter on this handler
    logger = logging.getLogger("banshi.test.privacy.factory")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    previous = logging.getLogRecordFactory()
    try:
        install_log_masking()
        installed = logging.getLogRecordFactory()
        install_log_masking()  # twice: still one layer
        assert installed is not previous
        assert logging.getLogRecordFactory() is installed
        logger.info("身份证%s", "11010519491231002X")
    finally:
        logging.setLogRecordFactory(previous)
        logger.removeHandler(handler)
    assert stream.getvalue() == "身份证110***********002X\n"
