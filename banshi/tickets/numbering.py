"""Ticket numbers: prefix + date + daily serial, e.g. GD202612070001.

The date makes a number readable on the phone ("the one I filed on the 7th") and keeps the
shape apart from notice numbers (prefix + year + 6 digits), so a number typed alone finds
the right kind of record. Serial gaps after a rolled-back filing are allowed, as with notices.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from banshi.tickets.models import TicketCounter

DEFAULT_PREFIX = "GD"  # 工单
_NUMBER = re.compile(r"^[A-Z]{1,6}20\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{4,5}$")
_NOISE = re.compile(r"[\s\-_—–:：#＃]")


def normalize_number(text: str) -> str:
    """ "gd 20261207 0001" → "GD202612070001"."""
    return _NOISE.sub("", text.strip()).upper()


def is_ticket_number(text: str) -> bool:
    """Whether a message is only a ticket number (spaces, dashes and lower case tolerated)."""
    return bool(_NUMBER.match(normalize_number(text)))


def _counter_insert(session: Session) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(TicketCounter.__table__)
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(TicketCounter.__table__)
    raise NotImplementedError(f"工单编号不支持 {name} 数据库（仅支持 PostgreSQL 和 SQLite）")


def next_number(session: Session, day: date, prefix: str = DEFAULT_PREFIX) -> str:
    """The next number of ``day``, inside the caller's transaction.

    The UPDATE locks the day's counter row until the transaction ends, so two citizens filing
    at the same moment queue for it and never share a number.
    """
    table = TicketCounter.__table__
    session.execute(
        _counter_insert(session)
        .values(day=day, last=0)
        .on_conflict_do_nothing(index_elements=["day"])
    )
    session.execute(update(table).where(table.c.day == day).values(last=table.c.last + 1))
    serial = int(session.execute(select(table.c.last).where(table.c.day == day)).scalar_one())
    return f"{prefix}{day:%Y%m%d}{serial:04d}"
