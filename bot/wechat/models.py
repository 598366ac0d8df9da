"""What the WeChat channel keeps in the database about a citizen, keyed by OpenID.

Every table holds personal data and is emptied for a citizen on ``unsubscribe``.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Text

from banshi.models import Base


class PendingAnswer(Base):
    """An answer WeChat would not take (45015 outside the 48-hour window, 45047 over quota):
    it is delivered with the citizen's next message."""

    __tablename__ = "wechat_pending_answer"

    id = Column(Integer, primary_key=True)
    openid = Column(String(64), nullable=False, index=True)
    text = Column(Text, nullable=False)
    errcode = Column(Integer)
    created_at = Column(DateTime, nullable=False)


class Attachment(Base):
    """An image or link a citizen sent, kept so that a ticket can refer to it later."""

    __tablename__ = "wechat_attachment"

    id = Column(Integer, primary_key=True)
    openid = Column(String(64), nullable=False, index=True)
    kind = Column(String(20), nullable=False)  # image / link
    msg_id = Column(String(32), nullable=False, default="")
    media_id = Column(Text, nullable=False, default="")
    url = Column(Text, nullable=False, default="")
    title = Column(Text, nullable=False, default="")
    description = Column(Text, nullable=False, default="")
    received_at = Column(DateTime, nullable=False)


class Contact(Base):
    """When the citizen last opened the 48-hour window for 客服消息 (UTC), so that messages
    owed to them (notice changes after a catalog sync) can be pushed while it is open.

    Written at most every few minutes per citizen: the time may be a little early, which
    only makes the window look shorter.
    """

    __tablename__ = "wechat_contact"

    openid = Column(String(64), primary_key=True)
    last_seen_at = Column(DateTime, nullable=False, index=True)
