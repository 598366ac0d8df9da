"""tickets: 工单 with history, replies, drafts and the outbox; 转人工; 好差评 with follow-ups

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("item_code", sa.String(length=31), nullable=True),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("hall_code", sa.String(length=40), nullable=True),
        sa.Column("hall_name", sa.String(length=200), nullable=False),
        sa.Column("dept_name", sa.String(length=200), nullable=False),
        sa.Column("content_masked", sa.Text(), nullable=False),
        sa.Column("content_encrypted", sa.Text(), nullable=True),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("callback", sa.Boolean(), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=True),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_unknown", sa.Boolean(), nullable=False),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.String(length=12), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["merged_into_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_state_due", ["state", "due_on", "id"], unique=False)
        batch_op.create_index(
            "ix_ticket_open_due",
            ["due_on", "id"],
            unique=False,
            sqlite_where=sa.text("state NOT IN ('closed', 'merged')"),
            postgresql_where=sa.text("state NOT IN ('closed', 'merged')"),
        )
        batch_op.create_index(batch_op.f("ix_ticket_openid"), ["openid"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_dept_name"), ["dept_name"], unique=False)
    op.create_table(
        "ticket_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=True),
        sa.Column("dept_name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket_event", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_event_ticket", ["ticket_id", "id"], unique=False)
    op.create_table(
        "ticket_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("staff", sa.String(length=64), nullable=False),
        sa.Column("dept_name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket_reply", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_reply_ticket", ["ticket_id", "id"], unique=False)
    op.create_table(
        "ticket_counter",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "ticket_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("item_code", sa.String(length=31), nullable=True),
        sa.Column("hall_code", sa.String(length=40), nullable=True),
        sa.Column("content_masked", sa.Text(), nullable=False),
        sa.Column("content_encrypted", sa.Text(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=True),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_draft_openid"), ["openid"], unique=False)
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("page", sa.String(length=24), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_message_only", sa.Boolean(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("route", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["delivered_at", "openid"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_openid"), ["openid"], unique=False)
    op.create_table(
        "handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("staff", sa.String(length=64), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closure", sa.String(length=12), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handoff", schema=None) as batch_op:
        batch_op.create_index(
            "uq_handoff_open_openid",
            ["openid"],
            unique=True,
            sqlite_where=sa.text("state != 'closed'"),
            postgresql_where=sa.text("state != 'closed'"),
        )
        batch_op.create_index("ix_handoff_state", ["state", "requested_at"], unique=False)
    op.create_table(
        "handoff_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("sender", sa.String(length=10), nullable=False),
        sa.Column("staff", sa.String(length=64), nullable=True),
        sa.Column("text_masked", sa.Text(), nullable=False),
        sa.Column("text_encrypted", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handoff_message", schema=None) as batch_op:
        batch_op.create_index("ix_handoff_message_handoff", ["handoff_id", "id"], unique=False)
    op.create_table(
        "rating_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_kind", sa.String(length=12), nullable=False),
        sa.Column("service_ref", sa.String(length=40), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("invited_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_kind", "service_ref"),
    )
    with op.batch_alter_table("rating_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_invitation_openid"), ["openid"], unique=False)
    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_kind", sa.String(length=12), nullable=False),
        sa.Column("service_ref", sa.String(length=40), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("comment_masked", sa.Text(), nullable=False),
        sa.Column("comment_encrypted", sa.Text(), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.Column("set_aside", sa.Boolean(), nullable=False),
        sa.Column("set_aside_by", sa.String(length=64), nullable=True),
        sa.Column("set_aside_reason", sa.Text(), nullable=True),
        sa.Column("set_aside_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_kind", "service_ref"),
    )
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_openid"), ["openid"], unique=False)
        batch_op.create_index(batch_op.f("ix_rating_rated_at"), ["rated_at"], unique=False)
    op.create_table(
        "rating_followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_unknown", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["rating_id"], ["rating.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rating_id"),
    )
    with op.batch_alter_table("rating_followup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_followup_stage"), ["stage"], unique=False)
    op.create_table(
        "rating_followup_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("from_stage", sa.String(length=12), nullable=True),
        sa.Column("to_stage", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["followup_id"], ["rating_followup.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rating_followup_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rating_followup_event_followup_id"), ["followup_id"], unique=False
        )


def downgrade() -> None:
    for table, indexes in (
        ("rating_followup_event", ["ix_rating_followup_event_followup_id"]),
        ("rating_followup", ["ix_rating_followup_stage"]),
        ("rating", ["ix_rating_rated_at", "ix_rating_openid"]),
        ("rating_invitation", ["ix_rating_invitation_openid"]),
        ("handoff_message", ["ix_handoff_message_handoff"]),
        ("handoff", ["ix_handoff_state", "uq_handoff_open_openid"]),
        ("outbox_message", ["ix_outbox_message_openid", "ix_outbox_pending"]),
        ("ticket_draft", ["ix_ticket_draft_openid"]),
        ("ticket_counter", []),
        ("ticket_reply", ["ix_ticket_reply_ticket"]),
        ("ticket_event", ["ix_ticket_event_ticket"]),
        (
            "ticket",
            [
                "ix_ticket_dept_name",
                "ix_ticket_openid",
                "ix_ticket_open_due",
                "ix_ticket_state_due",
            ],
        ),
    ):
        if indexes:
            with op.batch_alter_table(table, schema=None) as batch_op:
                for name in indexes:
                    batch_op.drop_index(name)
        op.drop_table(table)
