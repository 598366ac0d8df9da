"""A logging filter that masks personal numbers before any handler writes a record.

Attach it to handlers (not loggers): a filter on a logger does not see records propagated
from its children, a filter on a handler sees everything that handler writes.

    handler.addFilter(MaskingFilter())
"""

from __future__ import annotations

import logging
from typing import Any

from banshi.privacy.masking import mask_text


class MaskingFilter(logging.Filter):
    """Masks ``record.msg`` with its args applied, and the exception text, in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: mask what we have rather than drop the record
            message = f"{record.msg} {record.args!r}"
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Format the traceback now, masked, so the handler's formatter reuses our text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


def install_log_masking() -> None:
    """Mask every record of this process when it is created, whatever handler writes it.

    For processes whose handlers we do not create (the Rasa server configures its own, and
    sanic's loggers do not propagate): call it once at start-up, e.g. where the WeChat
    channel is imported. Installing twice is harmless.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "banshi_masking", False):
        return
    masking = MaskingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        masking.filter(record)
        return record

    factory.banshi_masking = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
