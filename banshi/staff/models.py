"""Tables of the staff console: accounts, their sessions, failed logins, the audit log.

Created by migration 0007. Times are naive local times, like the rest of the schema.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import relationship

from banshi.models import Base


class StaffAccount(Base):
    """A hall staff member who signs in to the console. Never deleted: disabled, so the audit
    log keeps naming a real account."""

    __tablename__ = "staff_account"

    id = Column(Integer, primary_key=True)
    username = Column(String(40), nullable=False, unique=True)
    role = Column(String(20), nullable=False)  # banshi.staff.roles.Role
    hall_code = Column(String(40))  # the hall a 窗口人员 serves (hall.code)
    password_hash = Column(String(200), nullable=False)
    must_change_password = Column(Boolean, nullable=False, default=False)
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)  # consecutive, reset on success
    locked_until = Column(DateTime)
    created_at = Column(DateTime, nullable=False)
    password_changed_at = Column(DateTime)
    last_login_at = Column(DateTime)
    disabled_at = Column(DateTime)

    sessions = relationship("StaffSession", cascade="all, delete-orphan")


class StaffSession(Base):
    """A signed-in browser. Only a SHA-256 of the cookie's token is stored, so a copy of the
    database cannot be used to sign in."""

    __tablename__ = "staff_session"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    staff_id = Column(
        Integer, ForeignKey("staff_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at = Column(DateTime, nullable=False)
    last_seen_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)  # the absolute limit


class LoginFailure(Base):
    """A wrong password (or unknown user) from one address: limits guessing across accounts."""

    __tablename__ = "staff_login_failure"
    __table_args__ = (Index("ix_staff_login_failure_address_at", "address", "at"),)

    id = Column(Integer, primary_key=True)
    address = Column(String(64), nullable=False)
    at = Column(DateTime, nullable=False)


class AuditEntry(Base):
    """Who did what, when: reveals of personal data, check-ins, replies, dispatches,
    publishing, sync triggers, account changes. Holds references, never the revealed value."""

    __tablename__ = "staff_audit"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    actor = Column(String(40), nullable=False, index=True)  # a username, or "cli"
    action = Column(String(40), nullable=False, index=True)  # banshi.staff.audit.AuditAction
    target = Column(String(200), nullable=False, default="")  # "notice:BS2026000001"
    detail = Column(JSON, nullable=False)
    address = Column(String(64), nullable=False, default="")
    summary = Column(Text, nullable=False, default="")  # one line for the log page
