"""Database models of the domain: the catalog (事项目录) and its sync history.

The tables mirror the provincial export (SCHEMA.md, GB/T 39046 element names) so that every
code the platform sends is kept: 基本编码 (catalog_code), 实施编码 (task_code) and
业务办理项编码 (handle_item_code).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base: Any = declarative_base()

# TASK_STATE values (SCHEMA.md)
STATE_ACTIVE = "1"  # 在用
STATE_SUSPENDED = "2"  # 暂停
STATE_CANCELLED = "3"  # 取消
STATE_LABELS = {STATE_ACTIVE: "在用", STATE_SUSPENDED: "暂停", STATE_CANCELLED: "取消"}


class Item(Base):
    """The current version of one 实施清单 item, keyed by its 实施编码."""

    __tablename__ = "item"

    id = Column(Integer, primary_key=True)
    task_code = Column(String(31), nullable=False, unique=True)
    task_guid = Column(String(64), nullable=False)
    catalog_code = Column(String(12), nullable=False, index=True)
    name = Column(String(200), nullable=False)
    task_type = Column(String(2), nullable=False)
    version = Column(Integer, nullable=False)
    state = Column(String(1), nullable=False, index=True)
    update_date = Column(String(19), nullable=False, default="")
    dept_name = Column(String(200), nullable=False, default="")
    dept_code = Column(String(18), nullable=False, default="")
    use_level = Column(String(1), nullable=False, default="")
    server_type = Column(String(40), nullable=False, default="")
    topic = Column(String(100), nullable=False, default="")
    keywords = Column(Text, nullable=False, default="")
    by_law = Column(Text, nullable=False, default="")
    accept_condition = Column(Text, nullable=False, default="")
    anticipate_day = Column(Integer)
    anticipate_type = Column(String(10), nullable=False, default="")
    promise_day = Column(Integer)
    promise_type = Column(String(10), nullable=False, default="")
    project_type = Column(String(1), nullable=False, default="")
    handle_flow = Column(Text, nullable=False, default="")
    is_fee = Column(String(1), nullable=False, default="")
    is_online = Column(String(1), nullable=False, default="")
    online_url = Column(Text, nullable=False, default="")
    limit_scene_num = Column(Integer)
    center_name = Column(String(200), nullable=False, default="")
    transact_addr = Column(Text, nullable=False, default="")
    transact_time = Column(Text, nullable=False, default="")
    is_schedule = Column(String(1), nullable=False, default="")
    schedule_num = Column(Integer)
    schedule_rule = Column(Text, nullable=False, default="")
    consult_phone = Column(String(100), nullable=False, default="")
    complain_phone = Column(String(100), nullable=False, default="")
    result_name = Column(Text, nullable=False, default="")
    content_hash = Column(String(64), nullable=False)
    synced_at = Column(DateTime, nullable=False)
    cancelled_at = Column(DateTime)

    situations = relationship(
        "Situation", order_by="Situation.position", cascade="all, delete-orphan"
    )
    materials = relationship("Material", order_by="Material.position", cascade="all, delete-orphan")
    charges = relationship("Charge", order_by="Charge.position", cascade="all, delete-orphan")
    questions = relationship("Question", order_by="Question.position", cascade="all, delete-orphan")
    aliases = relationship("ItemAlias", cascade="all, delete-orphan")


class Situation(Base):
    """业务办理项: a sub-case of an item with its own 33-character code."""

    __tablename__ = "situation"

    id = Column(Integer, primary_key=True)
    item_id = Column(Integer, ForeignKey("item.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    handle_item_code = Column(String(33), nullable=False)
    name = Column(String(200), nullable=False)


class Material(Base):
    """申请材料. ``handle_case`` empty means always needed; otherwise the situation or condition."""

    __tablename__ = "material"

    id = Column(Integer, primary_key=True)
    item_id = Column(Integer, ForeignKey("item.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    name = Column(Text, nullable=False)
    material_type = Column(String(20), nullable=False, default="")
    material_format = Column(String(20), nullable=False, default="")
    need = Column(String(20), nullable=False, default="")
    source_type = Column(String(40), nullable=False, default="")
    source_explain = Column(Text, nullable=False, default="")
    original_num = Column(Integer)
    copies_num = Column(Integer)
    page_format = Column(String(60), nullable=False, default="")
    handle_case = Column(Text, nullable=False, default="")
    fill_explain = Column(Text, nullable=False, default="")


class Charge(Base):
    """收费项目."""

    __tablename__ = "charge"

    id = Column(Integer, primary_key=True)
    item_id = Column(Integer, ForeignKey("item.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    name = Column(Text, nullable=False, default="")
    standard = Column(Text, nullable=False, default="")
    by_law = Column(Text, nullable=False, default="")
    is_desc = Column(String(1), nullable=False, default="")
    desc_explain = Column(Text, nullable=False, default="")


class Question(Base):
    """常见问题 published with the item."""

    __tablename__ = "question"

    id = Column(Integer, primary_key=True)
    item_id = Column(Integer, ForeignKey("item.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    question = Column(Text, nullable=False)
    answer = Column(Text, nullable=False)


class ItemAlias(Base):
    """A search alias of an item: from SEARCH_KEYWORDS (source ``keyword``)."""

    __tablename__ = "item_alias"

    id = Column(Integer, primary_key=True)
    item_id = Column(Integer, ForeignKey("item.id", ondelete="CASCADE"), nullable=False, index=True)
    alias = Column(String(200), nullable=False)
    source = Column(String(20), nullable=False)


class ItemVersion(Base):
    """Every version of an item ever imported, as the cleaned record: nothing is silently lost."""

    __tablename__ = "item_version"
    __table_args__ = (Index("ix_item_version_code_version", "task_code", "version"),)

    id = Column(Integer, primary_key=True)
    task_code = Column(String(31), nullable=False)
    version = Column(Integer, nullable=False)
    content_hash = Column(String(64), nullable=False)
    record = Column(JSON, nullable=False)
    sync_id = Column(Integer, ForeignKey("sync_run.id"), nullable=False, index=True)
    imported_at = Column(DateTime, nullable=False)
    superseded_at = Column(DateTime)


class ItemChange(Base):
    """Change log: which fields of which item changed, from which export, when."""

    __tablename__ = "item_change"

    id = Column(Integer, primary_key=True)
    sync_id = Column(Integer, ForeignKey("sync_run.id"), nullable=False, index=True)
    task_code = Column(String(31), nullable=False, index=True)
    kind = Column(String(20), nullable=False)  # created / updated / cancelled / reinstated
    from_version = Column(Integer)
    to_version = Column(Integer, nullable=False)
    fields = Column(JSON, nullable=False)
    changed_at = Column(DateTime, nullable=False)


class Hall(Base):
    """政务服务大厅 with its weekly hours and holiday rule."""

    __tablename__ = "hall"

    id = Column(Integer, primary_key=True)
    code = Column(String(40), nullable=False, unique=True)
    name = Column(String(200), nullable=False, index=True)
    address = Column(Text, nullable=False, default="")
    phone = Column(String(100), nullable=False, default="")
    lng = Column(String(20), nullable=False, default="")
    lat = Column(String(20), nullable=False, default="")
    weekly_hours = Column(JSON, nullable=False)  # {"mon": [["09:00", "12:00"], ...], ...}
    holiday_rule = Column(String(10), nullable=False)  # closed / open
    content_hash = Column(String(64), nullable=False)
    synced_at = Column(DateTime, nullable=False)

    windows = relationship("Window", order_by="Window.window_no", cascade="all, delete-orphan")


class Window(Base):
    """A 窗口 of a hall and the items (by 实施编码) it handles."""

    __tablename__ = "hall_window"
    __table_args__ = (UniqueConstraint("hall_id", "window_no"),)

    id = Column(Integer, primary_key=True)
    hall_id = Column(Integer, ForeignKey("hall.id", ondelete="CASCADE"), nullable=False, index=True)
    window_no = Column(String(20), nullable=False)
    name = Column(String(200), nullable=False, default="")
    task_codes = Column(JSON, nullable=False)


class SyncRun(Base):
    """One run of ``banshi catalog sync``: where from, what it did, what it rejected."""

    __tablename__ = "sync_run"

    id = Column(Integer, primary_key=True)
    source = Column(Text, nullable=False)
    kind = Column(String(10), nullable=False)  # items / halls
    started_at = Column(DateTime, nullable=False)
    finished_at = Column(DateTime)
    status = Column(String(20), nullable=False)  # ok / unchanged / not_modified / failed
    file_sha256 = Column(String(64), nullable=False, default="")
    etag = Column(Text, nullable=False, default="")
    last_modified = Column(Text, nullable=False, default="")
    counts = Column(JSON, nullable=False)
    message = Column(Text, nullable=False, default="")

    rejections = relationship("SyncRejection", order_by="SyncRejection.line")


class SyncRejection(Base):
    """A record a sync did not apply, with the line, TASK_GUID and reason, for the staff.

    ``invalid`` records are rejected; ``superseded`` ones lost to a higher TASK_VERSION in the same
    file; ``stale`` ones are older than the version already stored.
    """

    __tablename__ = "sync_rejection"

    id = Column(Integer, primary_key=True)
    sync_id = Column(Integer, ForeignKey("sync_run.id"), nullable=False, index=True)
    line = Column(Integer, nullable=False)
    task_guid = Column(String(64), nullable=False, default="")
    task_code = Column(String(64), nullable=False, default="")
    kind = Column(String(20), nullable=False, default="invalid")  # invalid / superseded / stale
    reason = Column(Text, nullable=False)


class Notice(Base):
    """一次性告知单 as issued: the number, whose it is, and a snapshot of everything it told.

    The snapshot is what the citizen holds; it never changes. ``notified_version_id`` is the
    :class:`ItemVersion` the holder was last told about, so a catalog change is told once.
    """

    __tablename__ = "notice"

    id = Column(Integer, primary_key=True)
    number = Column(String(40), nullable=False, unique=True)
    openid = Column(String(64), index=True)  # None: issued for staff or the citizen unsubscribed
    task_code = Column(String(31), nullable=False, index=True)
    item_version = Column(Integer, nullable=False)
    item_version_id = Column(Integer, ForeignKey("item_version.id"), nullable=False)
    sync_id = Column(Integer, nullable=False)
    handle_item_code = Column(String(33))
    situation = Column(String(200))
    conditions = Column(JSON, nullable=False)  # {HANDLE_CASE: true / false / null (不确定)}
    snapshot = Column(JSON, nullable=False)
    issued_on = Column(Date, nullable=False, index=True)
    created_at = Column(DateTime, nullable=False)
    notified_at = Column(DateTime)
    notified_version_id = Column(Integer, ForeignKey("item_version.id"))


class NoticeCounter(Base):
    """The last serial number issued in a year; incremented inside the issuing transaction."""

    __tablename__ = "notice_counter"

    year = Column(Integer, primary_key=True, autoincrement=False)
    last = Column(Integer, nullable=False)


class NoticeUpdate(Base):
    """A catalog change told to a notice's holder, kept until the WeChat channel delivers it."""

    __tablename__ = "notice_update"

    id = Column(Integer, primary_key=True)
    notice_id = Column(Integer, ForeignKey("notice.id", ondelete="CASCADE"), nullable=False)
    openid = Column(String(64), nullable=False, index=True)
    text = Column(Text, nullable=False)
    from_version_id = Column(Integer, nullable=False)
    to_version_id = Column(Integer, nullable=False)
    created_at = Column(DateTime, nullable=False)
    delivered_at = Column(DateTime)
