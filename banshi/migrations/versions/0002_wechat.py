"""wechat: pending answers and attachments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_pending_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("errcode", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_wechat_pending_answer_openid", "wechat_pending_answer", ["openid"], unique=False
    )
    op.create_table(
        "wechat_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("msg_id", sa.String(length=32), nullable=False),
        sa.Column("media_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wechat_attachment_openid", "wechat_attachment", ["openid"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_wechat_attachment_openid", table_name="wechat_attachment")
    op.drop_table("wechat_attachment")
    op.drop_index("ix_wechat_pending_answer_openid", table_name="wechat_pending_answer")
    op.drop_table("wechat_pending_answer")
