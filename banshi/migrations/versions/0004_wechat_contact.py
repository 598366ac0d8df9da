"""wechat_contact: when each citizen last opened the 48-hour window for 客服消息

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_contact",
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("openid"),
    )
    op.create_index(
        "ix_wechat_contact_last_seen_at", "wechat_contact", ["last_seen_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_wechat_contact_last_seen_at", table_name="wechat_contact")
    op.drop_table("wechat_contact")
