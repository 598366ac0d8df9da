"""staff console: staff accounts and sessions, failed logins, the audit log, unanswered
questions, and the lexicon overlay the console writes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("hall_code", sa.String(length=40), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_session_staff_id"), ["staff_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_staff_session_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "staff_login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_staff_login_failure_address_at", ["address", "at"], unique=False)
    op.create_table(
        "staff_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_audit_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_audit_action"), ["action"], unique=False)
    op.create_table(
        "unanswered_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("ask", sa.String(length=20), nullable=True),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("unanswered_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unanswered_question_asked_at"), ["asked_at"], unique=False
        )
    op.create_table(
        "lexicon_overlay_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=40), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("task_code", sa.String(length=31), nullable=True),
        sa.Column("added_by", sa.String(length=40), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("removed_by", sa.String(length=40), nullable=True),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lexicon_overlay_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lexicon_overlay_entry_word"), ["word"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_lexicon_overlay_entry_task_code"), ["task_code"], unique=False
        )
    state = op.create_table(
        "lexicon_overlay_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(state, [{"id": 1, "generation": 0}])


def downgrade() -> None:
    op.drop_table("lexicon_overlay_state")
    with op.batch_alter_table("lexicon_overlay_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lexicon_overlay_entry_task_code"))
        batch_op.drop_index(batch_op.f("ix_lexicon_overlay_entry_word"))
    op.drop_table("lexicon_overlay_entry")
    with op.batch_alter_table("unanswered_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unanswered_question_asked_at"))
    op.drop_table("unanswered_question")
    with op.batch_alter_table("staff_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_audit_action"))
        batch_op.drop_index(batch_op.f("ix_staff_audit_actor"))
        batch_op.drop_index(batch_op.f("ix_staff_audit_at"))
    op.drop_table("staff_audit")
    with op.batch_alter_table("staff_login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_login_failure_address_at")
    op.drop_table("staff_login_failure")
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_session_expires_at"))
        batch_op.drop_index(batch_op.f("ix_staff_session_staff_id"))
    op.drop_table("staff_session")
    op.drop_table("staff_account")
