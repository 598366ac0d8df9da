"""notices: 一次性告知单, their yearly serial counter and the change messages owed to holders

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("task_code", sa.String(length=31), nullable=False),
        sa.Column("item_version", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("handle_item_code", sa.String(length=33), nullable=True),
        sa.Column("situation", sa.String(length=200), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.Column("notified_version_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["item_version_id"], ["item_version.id"]),
        sa.ForeignKeyConstraint(["notified_version_id"], ["item_version.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_openid"), ["openid"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_task_code"), ["task_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_issued_on"), ["issued_on"], unique=False)
    op.create_table(
        "notice_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("from_version_id", sa.Integer(), nullable=False),
        sa.Column("to_version_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notice_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_update_openid"), ["openid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notice_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_update_openid"))
    op.drop_table("notice_update")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_issued_on"))
        batch_op.drop_index(batch_op.f("ix_notice_task_code"))
        batch_op.drop_index(batch_op.f("ix_notice_openid"))
    op.drop_table("notice")
    op.drop_table("notice_counter")
